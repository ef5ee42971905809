import { isAnonymous, type PulseError, type TransportKind, type User } from '../protocol/index.js';
import { Deadline } from './deadline.js';
import { Session, type Overdue, type SessionContext } from './session.js';
import { newSessionId } from './session-id.js';
import { Tally } from '../stats/tally.js';
import type { SessionHandle, Transport } from './transport.js';

/** How many ended session ids are remembered, to answer 410 rather than 404 for them. */
const REMEMBERED_ENDED = 10_000;

export interface OpenOptions {
  /** When the token ends the session. */
  expiresAt?: number;
  /** Presence as `presence_state` and `presence_diff` frames. */
  presenceDiff?: boolean;
  /** The client's IP address, for a poll session: they are counted per address. */
  pollAddress?: string;
}

const ENDINGS: Record<Overdue, PulseError> = {
  idle: { code: 'idle', message: 'no subscription for too long; connect again when there is something to subscribe to' },
  stalled: { code: 'overloaded', message: 'nothing sent was read for too long; resume with since' },
};

/** Every live session of this hub, by id. */
const GOING_AWAY: PulseError = { code: 'going_away', message: 'this hub is stopping; reconnect now and resume (another hub takes the session)' };

export class SessionTable {
  private readonly sessions = new Map<string, Session>();
  private readonly ended = new Set<string>();
  /** Open sessions of signed-in users; anonymous viewers each have their own id and no limit to count. */
  private readonly perUser = new Tally<string>();
  private readonly expiries = new Map<Session, Deadline>();
  /** Open poll sessions per client address; a poll session holds no socket, so only this bounds them. */
  private readonly pollsPerAddress = new Tally<string>();
  private readonly pollAddresses = new Map<Session, string>();
  /** Set when the hub starts stopping: no session is opened after that. */
  private draining = false;

  constructor(
    private readonly ctx: SessionContext,
    /** This process, named in every session id so other processes can forward to it. */
    readonly processId: string,
  ) {}

  /** Whether one more session of this user (a poll session from `pollAddress`) fits, checked before a transport is set up. */
  admit(user: User, pollAddress?: string): PulseError | undefined {
    const { connections, sessionsPerUser, pollSessionsPerAddress } = this.ctx.limits;
    if (this.draining) return GOING_AWAY;
    if (this.sessions.size >= connections) {
      this.ctx.onLimit('connections');
      return { code: 'overloaded', message: 'this hub is full; try again later or another hub' };
    }
    // Anonymous viewers get a fresh id per connection, so only signed-in users are counted.
    if (!isAnonymous(user) && this.perUser.get(user.id) >= sessionsPerUser) {
      this.ctx.onLimit('sessions_per_user');
      return { code: 'rate_limited', message: `at most ${sessionsPerUser} open sessions per user` };
    }
    if (pollAddress !== undefined && this.pollsPerAddress.get(pollAddress) >= pollSessionsPerAddress) {
      this.ctx.onLimit('poll_sessions_per_ip');
      return { code: 'rate_limited', message: `at most ${pollSessionsPerAddress} open poll sessions per address` };
    }
    return undefined;
  }

  /**
   * Opens a session over the transport `connect` builds. The transport gets
   * the session's id and cursor, for what it writes besides frames (SSE ids,
   * poll answers).
   */
  open(user: User, connect: (session: SessionHandle) => Transport, { expiresAt, presenceDiff = false, pollAddress }: OpenOptions = {}): Session {
    const session: Session = new Session(user, connect, this.ctx, newSessionId(this.processId), presenceDiff, (at) => this.expireAt(session, at));
    this.sessions.set(session.id, session);
    if (!isAnonymous(user)) this.perUser.add(user.id);
    if (pollAddress !== undefined) {
      this.pollAddresses.set(session, pollAddress);
      this.pollsPerAddress.add(pollAddress);
    }
    session.start();
    this.expireAt(session, expiresAt);
    return session;
  }

  /** The token ends the session when it expires, unless an `auth` frame brings a fresh one first. */
  private expireAt(session: Session, expiresAt: number | undefined): void {
    this.expiries.get(session)?.cancel();
    this.expiries.delete(session);
    if (expiresAt === undefined) return;
    this.expiries.set(session, new Deadline(expiresAt, () => session.fail({ code: 'unauthorized', message: 'token expired; send a fresh token in an auth frame before it does, or reconnect with one' })));
  }

  close(session: Session): void {
    session.end();
    this.expiries.get(session)?.cancel();
    this.expiries.delete(session);
    if (!this.sessions.delete(session.id)) return;
    if (!isAnonymous(session.user)) {
      this.perUser.remove(session.user.id);
    }
    const address = this.pollAddresses.get(session);
    if (address !== undefined) {
      this.pollAddresses.delete(session);
      this.pollsPerAddress.remove(address);
    }
    this.ended.add(session.id);
    if (this.ended.size > REMEMBERED_ENDED) this.ended.delete(this.ended.values().next().value!);
  }

  /**
   * Ends the sessions that held no subscription for `idleMs` (`idle`) or
   * whose peer read nothing for `stallMs` (`overloaded`). Their transports
   * close, which closes them here.
   */
  sweep(now: number, idleMs: number, stallMs: number): void {
    for (const session of this.sessions.values()) {
      // A failed session stays here until its transport has closed.
      const overdue = session.ended ? undefined : session.overdue(now, idleMs, stallMs);
      if (!overdue) continue;
      this.ctx.onLimit(overdue === 'idle' ? 'idle_session' : 'stalled');
      session.fail(ENDINGS[overdue], overdue === 'stalled');
    }
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

  /** Bytes waiting for clients, and the sessions behind (holding coalesced messages back), by transport. */
  backlogByTransport(): Record<TransportKind, { bytes: number; behind: number }> {
    const out: Record<TransportKind, { bytes: number; behind: number }> = { ws: { bytes: 0, behind: 0 }, sse: { bytes: 0, behind: 0 }, poll: { bytes: 0, behind: 0 } };
    for (const s of this.sessions.values()) {
      const b = out[s.transportKind];
      b.bytes += s.queuedBytes;
      if (s.behind()) b.behind++;
    }
    return out;
  }

  get size(): number {
    return this.sessions.size;
  }

  /** Addresses holding open poll sessions. */
  get pollAddressCount(): number {
    return this.pollsPerAddress.size;
  }

  /** Opens no more sessions: the hub is stopping, and its clients are about to be sent elsewhere. */
  drain(): void {
    this.draining = true;
  }

  get isDraining(): boolean {
    return this.draining;
  }

  /** Ends every session, telling each client to reconnect at once: another hub will take it. */
  closeAll(): void {
    this.draining = true;
    for (const s of this.sessions.values()) s.fail(GOING_AWAY);
    this.sessions.clear();
  }
}
