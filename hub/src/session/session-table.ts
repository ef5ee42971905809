import type { TransportKind, User } from '../protocol/index.js';
import { Positions } from './cursor.js';
import { Session, type SessionContext } from './session.js';
import type { Transport } from './transport.js';

/** How many ended session ids are remembered, to answer 410 rather than 404 for them. */
const REMEMBERED_ENDED = 10_000;

/** Every live session of this hub, by id. */
export class SessionTable {
  private readonly sessions = new Map<string, Session>();
  private readonly ended = new Set<string>();

  constructor(private readonly ctx: SessionContext) {}

  /**
   * Opens a session over the transport `connect` builds. The transport gets
   * the session's positions first, for the cursors it writes (SSE ids, poll
   * cursors).
   */
  open(user: User, connect: (positions: Positions) => Transport): Session {
    const positions = new Positions();
    const session = new Session(user, connect(positions), this.ctx, positions);
    this.sessions.set(session.id, session);
    session.start();
    return session;
  }

  close(session: Session): void {
    session.end();
    if (!this.sessions.delete(session.id)) return;
    this.ended.add(session.id);
    if (this.ended.size > REMEMBERED_ENDED) this.ended.delete(this.ended.values().next().value!);
  }

  get(id: string): Session | undefined {
    return this.sessions.get(id);
  }

  /** True for a session that existed here and has ended. */
  hasEnded(id: string): boolean {
    return this.ended.has(id);
  }

  countsByTransport(): Record<TransportKind, number> {
    const counts: Record<TransportKind, number> = { ws: 0, sse: 0, poll: 0 };
    for (const s of this.sessions.values()) counts[s.transportKind]++;
    return counts;
  }

  get size(): number {
    return this.sessions.size;
  }

  /** Ends every session, telling each client the hub is going away. */
  closeAll(): void {
    for (const s of this.sessions.values()) s.fail({ code: 'overloaded', message: 'the hub is shutting down; reconnect' });
    this.sessions.clear();
  }
}
