import type { TransportKind, User } from '../protocol/index.js';
import { Session, type SessionContext } from './session.js';
import type { Transport } from './transport.js';

/** Every live session of this hub, by id. */
export class SessionTable {
  private readonly sessions = new Map<string, Session>();

  constructor(private readonly ctx: SessionContext) {}

  open(user: User, transport: Transport): Session {
    const session = new Session(user, transport, this.ctx);
    this.sessions.set(session.id, session);
    session.start();
    return session;
  }

  close(session: Session): void {
    session.end();
    this.sessions.delete(session.id);
  }

  get(id: string): Session | undefined {
    return this.sessions.get(id);
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
