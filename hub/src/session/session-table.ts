import { isAnonymous, type PulseError, type TransportKind, type User } from '../protocol/index.js';
import { Deadline } from './deadline.js';
import { Session, type SessionContext } from './session.js';
import { newSessionId } from './session-id.js';
import type { SessionHandle, Transport } from './transport.js';

/** How many ended session ids are remembered, to answer 410 rather than 404 for them. */
const REMEMBERED_ENDED = 10_000;

/** Every live session of this hub, by id. */
export class SessionTable {
  private readonly sessions = new Map<string, Session>();
  private readonly ended = new Set<string>();
  /** Open sessions of signed-in users; anonymous viewers each have their own id and no limit to count. */
  private readonly perUser = new Map<string, number>();
  private readonly expiries = new Map<Session, Deadline>();

  constructor(
    private readonly ctx: SessionContext,
    /** This process, named in every session id so other processes can forward to it. */
    readonly processId: string,
  ) {}

  /** Whether one more session of this user fits, checked before a transport is set up. */
  admit(user: User): PulseError | undefined {
    const { connections, sessionsPerUser } = this.ctx.limits;
    if (this.sessions.size >= connections) {
      this.ctx.onLimit('connections');
      return { code: 'overloaded', message: 'this hub is full; try again later or another hub' };
    }
    // Anonymous viewers get a fresh id per connection, so only signed-in users are counted.
    if (!isAnonymous(user) && (this.perUser.get(user.id) ?? 0) >= sessionsPerUser) {
      this.ctx.onLimit('sessions_per_user');
      return { code: 'rate_limited', message: `at most ${sessionsPerUser} open sessions per user` };
    }
    return undefined;
  }

  /**
   * Opens a session over the transport `connect` builds. The transport gets
   * the session's id and cursor, for what it writes besides frames (SSE ids,
   * poll answers).
   */
  open(user: User, connect: (session: SessionHandle) => Transport, expiresAt?: number, presenceDiff = false): Session {
    const session = new Session(user, connect, this.ctx, newSessionId(this.processId), presenceDiff);
    this.sessions.set(session.id, session);
    if (!isAnonymous(user)) this.perUser.set(user.id, (this.perUser.get(user.id) ?? 0) + 1);
    session.start();
    if (expiresAt !== undefined) {
      // The token ends the session when it expires, so the client comes back with a fresh one.
      this.expiries.set(session, new Deadline(expiresAt, () => session.fail({ code: 'unauthorized', message: 'token expired; reconnect with a fresh token' })));
    }
    return session;
  }

  close(session: Session): void {
    session.end();
    this.expiries.get(session)?.cancel();
    this.expiries.delete(session);
    if (!this.sessions.delete(session.id)) return;
    if (!isAnonymous(session.user)) {
      const n = (this.perUser.get(session.user.id) ?? 1) - 1;
      if (n > 0) this.perUser.set(session.user.id, n);
      else this.perUser.delete(session.user.id);
    }
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
