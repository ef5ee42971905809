import {
  parseChannel,
  type AuthFrame,
  type ChannelName,
  type ClientFrame,
  type PublishFrame,
  type PulseError,
  type Ref,
  type Result,
  type ServerFrame,
  type SubscribeFrame,
  type User,
} from '../protocol/index.js';
import type { ChannelRegistry } from '../channels/registry.js';
import type { ChannelSource } from '../channels/source.js';
import type { ChannelPublisher } from '../channels/publisher.js';
import type { ChannelPresence } from '../presence/channel-presence.js';
import { coalesceAbove, frameBytes, type OutgoingFrame, type SessionHandle, type Transport } from './transport.js';
import { encodeCursor } from './cursor.js';
import { TokenBucket } from './token-bucket.js';
import type { ReplayGate } from './replay-gate.js';
import type { Limits } from '../config.js';
import type { Counter } from '../stats/counters.js';
import { parseClientFrame, readParsedClientFrame, type FrameReading } from './client-frame.js';
import { canPublish, canSubscribe, type AccessPolicy } from './permissions.js';
import { Subscription, type SubscriptionSink } from './subscription.js';
import type { Caller } from '../auth/identity.js';

/** What a catch-up read returns when its session no longer needs it. */
const CANCELLED = { ok: false, error: { code: 'not_found', message: 'cancelled' } } as const;

/** How often a session holding coalesced messages looks whether its client has caught up. */
const CATCH_UP_CHECK_MS = 100;

/** A session refused more frames than its burst within ABUSE_WINDOW_MS is closed, not just refused. */
const ABUSE_WINDOW_MS = 10_000;

export const LIMIT_KINDS = [
  'frame_size',
  'subscriptions',
  'frame_rate',
  'frame_abuse',
  'publish_rate',
  'publish_abuse',
  'sessions_per_user',
  'poll_sessions_per_ip',
  'connections',
  'idle_session',
  'stalled',
  'presence_entries',
  'body_size',
  'ws_ping',
] as const;
export type LimitKind = (typeof LIMIT_KINDS)[number];

/** Why a sweep ends a session (SessionTable.sweep). */
export type Overdue = 'idle' | 'stalled';

/** What sessions count of their traffic, one set per transport (`pulse_frames_*_total`, `pulse_*_bytes_total`). */
export interface Traffic {
  framesIn: Counter;
  bytesIn: Counter;
  framesOut: Counter;
  bytesOut: Counter;
}

export interface SessionContext {
  registry: ChannelRegistry;
  /** Where every catch-up read waits its turn. */
  replays: ReplayGate;
  /** Channel kinds this hub serves; a kind without a source answers `not_found`. */
  sources: Partial<Record<ChannelName['kind'], ChannelSource>>;
  /** Channel kinds clients may publish to; a kind without one answers `not_found`. */
  publishers: Partial<Record<ChannelName['kind'], ChannelPublisher>>;
  presence: ChannelPresence;
  limits: Limits;
  policy: AccessPolicy;
  /** Who a token an `auth` frame carries speaks for. */
  authenticate(token: string): Promise<Result<Caller>>;
  onClientError(error: PulseError): void;
  onLimit(kind: LimitKind): void;
  onSyncFailure(ch: string, err: unknown): void;
  traffic(transport: Transport['kind']): Traffic;
  /** A subscribe's catch-up is over: how long it took from the frame to its last replayed message, and how many it replayed. */
  onCaughtUp(seconds: number, messages: number): void;
  /** A message held for a client that is behind was replaced by a newer one. */
  onCoalesced(kind: string): void;
}

/**
 * One client, whatever carries it: the client frames it sends, the channels
 * it listens to, and the policy when it falls behind. A transport hands it
 * text frames and is told to send or close; it never sees a channel.
 *
 * A hub holds one per connection, so what it keeps is kept small: state a
 * viewer never needs (a publish budget) is made on first use, and its
 * position in each channel lives in that channel's subscription.
 */
export class Session implements SessionHandle, SubscriptionSink {
  /**
   * Few per session (HUB_MAX_SUBSCRIPTIONS at most) and looked up only on
   * subscribe and unsubscribe, so an array, replaced rather than grown: it
   * stays as long as its contents, where a map or a pushed-to array keeps room
   * for more in each of thousands of sessions.
   */
  private subs: readonly Subscription[] = [];
  private publishes: TokenBucket | undefined;
  private frames: TokenBucket | undefined;
  private refusedSince = 0;
  private refused = 0;
  /** Since when the session has held no subscription; 0 while it holds one. */
  private idleSince: number;
  /** The transport's bytes sent as the last sweep saw them, and when a sweep last saw them move (or nothing wait). */
  private sent = 0;
  private movedAt: number;
  private closed = false;
  private readonly transport: Transport;
  private readonly traffic: Traffic;
  /** Subscriptions holding a message until the client catches up; made when the first one holds. */
  private catchingUp: Set<Subscription> | undefined;

  /** `connect` builds the transport, which may keep the session's id and cursor for what it writes besides frames. */
  constructor(
    /** Who the session speaks for: the same person throughout, with the role of the last token given (`auth`). */
    public user: User,
    connect: (session: SessionHandle) => Transport,
    private readonly ctx: SessionContext,
    readonly id: string,
    /** Presence as `presence_state` and `presence_diff` frames: the client asked with `presence=diff`. */
    readonly presenceDiff = false,
    /** A fresh token moved the session's end (undefined: it has none). */
    private readonly renewed: (expiresAt: number | undefined) => void = () => undefined,
  ) {
    this.transport = connect(this);
    this.traffic = ctx.traffic(this.transport.kind);
    this.idleSince = this.movedAt = Date.now();
  }

  get transportKind(): Transport['kind'] {
    return this.transport.kind;
  }

  start(): void {
    this.sendFrame({ type: 'welcome', session: this.id, transport: this.transport.kind, user: this.user });
  }

  /**
   * Subscribes to the channels a stream or poll request named, each from its
   * position in the client's cursor where it has one.
   */
  subscribeAll(channels: readonly string[], cursor: ReadonlyMap<string, number>): void {
    for (const ch of new Set([...channels, ...cursor.keys()])) {
      const since = cursor.get(ch);
      void this.subscribe({ type: 'subscribe', ch, ...(since !== undefined && { since }) });
    }
  }

  /** Several client frames, parsed already, as `POST /api/sessions/<id>` carries them in a body of `bytes`. */
  receiveFrames(frames: readonly unknown[], bytes: number): void {
    this.traffic.bytesIn.inc(bytes);
    for (const f of frames) {
      if (this.closed) return;
      this.take(readParsedClientFrame(f));
    }
  }

  /** Frames are JSON text; a binary frame is answered, not guessed at. */
  receiveBinary(): void {
    if (!this.closed) this.reject({ code: 'bad_request', message: 'binary frames are not supported: send each frame as JSON text' });
  }

  /** One text frame from the client. Never throws; bad input becomes an `error` frame. */
  receive(raw: string): void {
    if (this.closed) return;
    this.traffic.bytesIn.inc(Buffer.byteLength(raw));
    this.take(parseClientFrame(raw));
  }

  private take(reading: FrameReading): void {
    this.traffic.framesIn.inc();
    // Every frame costs, a malformed one too: it is work for the hub all the same.
    const { framePerSecond, frameBurst } = this.ctx.limits;
    const budget = (this.frames ??= new TokenBucket(framePerSecond, frameBurst, Date.now()));
    if (!budget.take(Date.now())) {
      this.refuse('frame', `at most ${framePerSecond} frames per second (bursts of ${frameBurst})`, frameBurst, reading.ok ? refOf(reading.frame) : reading.ref);
      return;
    }
    if (!reading.ok) {
      if (reading.error.code === 'too_large') this.ctx.onLimit('frame_size');
      this.reject(reading.error, reading.ref);
      return;
    }
    this.handle(reading.frame);
  }

  /** Where the session stands in its channels, as the SSE id and poll cursor carry it. */
  cursor(answer?: number): string {
    return encodeCursor(this.subs, answer);
  }

  /**
   * Whether the session should be ended for holding no subscription for
   * `idleMs`, or because its peer has read none of the bytes waiting for it
   * for `stallMs`. Asked by a periodic sweep, so a session costs no timer.
   */
  overdue(now: number, idleMs: number, stallMs: number): Overdue | undefined {
    if (this.idleSince !== 0 && now - this.idleSince >= idleMs) return 'idle';
    const backlog = this.transport.backlog?.();
    if (!backlog || backlog.queued === 0 || backlog.sent !== this.sent) {
      this.sent = backlog?.sent ?? 0;
      this.movedAt = now;
      return undefined;
    }
    return now - this.movedAt >= stallMs ? 'stalled' : undefined;
  }

  /** The transport is gone: release every channel. Idempotent. */
  end(): void {
    if (this.closed) return;
    this.closed = true;
    for (const sub of this.subs) {
      this.ctx.registry.remove(sub.ch, sub);
      if (sub.present) this.ctx.presence.leave(sub.ch, this.user);
    }
    this.subs = [];
  }

  /** Sends a final error and closes the transport; `abort` when the peer is known not to read (see Transport.close). */
  fail(error: PulseError, abort = false): void {
    if (this.closed) return;
    this.end();
    // Straight to the transport: the session is closed, and a full queue must not recurse here.
    this.transport.send('error', JSON.stringify({ type: 'error', code: error.code, message: error.message } satisfies ServerFrame));
    this.transport.close(error, abort);
  }

  get ended(): boolean {
    return this.closed;
  }

  private handle(frame: ClientFrame): void {
    switch (frame.type) {
      case 'ping':
        this.sendFrame({ type: 'pong' });
        return;
      case 'subscribe':
        void this.subscribe(frame);
        return;
      case 'unsubscribe': {
        const sub = this.subscription(frame.ch);
        if (sub) this.drop(sub);
        this.ack(frame.ref);
        return;
      }
      case 'publish':
        void this.publish(frame);
        return;
      case 'auth':
        void this.authorize(frame);
        return;
    }
  }

  /**
   * A fresh token for the same person: its role and expiry hold from now on.
   * Publishes are checked against the role as it stands, so only the
   * channels it may no longer read need leaving.
   */
  private async authorize(frame: AuthFrame): Promise<void> {
    const caller = await this.ctx.authenticate(frame.token);
    if (this.closed) return;
    if (!caller.ok) return this.reject(caller.error, frame.ref);
    if (caller.value.user.id !== this.user.id) {
      return this.reject({ code: 'forbidden', message: 'the token is for someone else: a session speaks for one person, so open a new one' }, frame.ref);
    }
    this.user = caller.value.user;
    this.renewed(caller.value.expiresAt);
    for (const sub of this.subs) {
      const ch = parseChannel(sub.ch);
      if (ch.ok && canSubscribe(this.user, ch.value, this.ctx.policy).ok) continue;
      this.drop(sub);
      this.reject({ code: 'forbidden', message: `${sub.ch} is not readable with the new token; it was left` }, undefined, sub.ch);
    }
    if (frame.ref !== undefined) this.sendFrame({ type: 'ack', ref: frame.ref, user: this.user });
  }

  private async publish(frame: PublishFrame): Promise<void> {
    const budget = (this.publishes ??= new TokenBucket(this.ctx.limits.publishPerSecond, this.ctx.limits.publishBurst, Date.now()));
    if (!budget.take(Date.now())) {
      const { publishPerSecond, publishBurst } = this.ctx.limits;
      return this.refuse('publish', `at most ${publishPerSecond} publishes per second (bursts of ${publishBurst})`, publishBurst, frame.ref);
    }
    const ch = parseChannel(frame.ch);
    if (!ch.ok) return this.reject(ch.error, frame.ref, frame.ch);
    const allowed = canPublish(this.user, ch.value);
    if (!allowed.ok) return this.reject(allowed.error, frame.ref, frame.ch);
    const publisher = this.ctx.publishers[ch.value.kind];
    if (!publisher) return this.reject({ code: 'not_found', message: `${ch.value.kind} channels are not served by this hub yet` }, frame.ref, frame.ch);
    const done = await publisher.publish(ch.value, this.user, frame.data);
    if (this.closed) return;
    if (!done.ok) return this.reject(done.error, frame.ref, frame.ch);
    this.ack(frame.ref);
  }

  private subscription(ch: string): Subscription | undefined {
    return this.subs.find((s) => s.ch === ch);
  }

  /** Ends a subscription: out of the channel, and no longer present there. */
  private drop(sub: Subscription): void {
    this.subs = this.subs.filter((s) => s !== sub);
    if (this.subs.length === 0) this.idleSince = Date.now();
    this.ctx.registry.remove(sub.ch, sub);
    if (sub.present) this.ctx.presence.leave(sub.ch, this.user);
  }

  private async subscribe(frame: SubscribeFrame): Promise<void> {
    const started = performance.now();
    const parsed = parseChannel(frame.ch);
    if (!parsed.ok) return this.reject(parsed.error, frame.ref, frame.ch);
    const ch = parsed.value;
    const allowed = canSubscribe(this.user, ch, this.ctx.policy);
    if (!allowed.ok) return this.reject(allowed.error, frame.ref, ch.ch);
    const source = this.ctx.sources[ch.kind];
    if (!source) return this.reject({ code: 'not_found', message: `${ch.kind} channels are not served by this hub yet` }, frame.ref, ch.ch);
    const max = this.ctx.limits.subscriptionsPerSession;
    // A repeated subscribe restarts the channel from the new position.
    const previous = this.subscription(ch.ch);
    if (!previous && this.subs.length >= max) {
      this.ctx.onLimit('subscriptions');
      return this.reject({ code: 'forbidden', message: `at most ${max} subscriptions per session` }, frame.ref, ch.ch);
    }

    if (previous) this.ctx.registry.remove(ch.ch, previous);
    // Registered before history is read, so nothing stored meanwhile is missed.
    const sub = new Subscription(this.ctx.registry.shared(ch.ch), this, frame.since);
    sub.present = previous?.present ?? false;
    // concat and map allocate exactly the length; spread and push leave room for 16 more.
    this.subs = previous ? this.subs.map((s) => (s === previous ? sub : s)) : this.subs.concat(sub);
    this.idleSince = 0;
    this.ctx.registry.add(ch.ch, sub);

    let result;
    try {
      // A session that ended or left the channel while its read waited needs no read.
      result = await this.ctx.replays.run(this, async () => (this.closed || !this.subs.includes(sub) ? CANCELLED : source.sync(ch, frame.since)));
    } catch (err) {
      this.ctx.onSyncFailure(ch.ch, err);
      result = { ok: false as const, error: { code: 'overloaded' as const, message: `history of ${ch.ch} is unavailable right now; try again` } };
    }
    if (this.closed || !this.subs.includes(sub)) return;
    if (!result.ok) {
      this.drop(sub);
      return this.reject(result.error, frame.ref, ch.ch);
    }
    const { seq, messages, recovered } = result.value;
    // `subscribed`, a fresh subscriber's one state message and the greeting leave in one write: a crowd
    // subscribing costs a write each, not four. Not a replay: held back whole, it would count against the
    // connection's bound on unsent bytes all at once.
    if (messages.length <= 1) this.transport.batchWrites?.();
    // The cursor that goes with `subscribed` already holds the channel, so a resume right after it misses nothing.
    sub.position = frame.since ?? seq;
    this.sendFrame({ type: 'subscribed', ch: ch.ch, seq, recovered, ...(frame.ref !== undefined && { ref: frame.ref }) });
    this.ack(frame.ref);
    sub.goLive(seq, messages);
    this.ctx.onCaughtUp((performance.now() - started) / 1000, messages.length);
    // Who is here comes right after the channel's own catch-up, then changes follow live.
    if (source.greet) source.greet(ch, sub);
    if (!source.greet || source.tracksPresence) this.ctx.presence.greet(ch.ch, sub);
    if (source.tracksPresence !== false && !sub.present) {
      sub.present = this.ctx.presence.enter(ch.ch, this.user);
      if (!sub.present) this.ctx.onLimit('presence_entries');
    }
  }

  /**
   * A short burst over a rate is refused frame by frame; keeping it up (more
   * refusals than the burst within ABUSE_WINDOW_MS) ends the session.
   */
  private refuse(budget: 'frame' | 'publish', message: string, burst: number, ref: Ref | undefined): void {
    const now = Date.now();
    if (now - this.refusedSince > ABUSE_WINDOW_MS) {
      this.refusedSince = now;
      this.refused = 0;
    }
    this.ctx.onLimit(`${budget}_rate`);
    if (++this.refused > burst) {
      this.ctx.onLimit(`${budget}_abuse`);
      this.fail({ code: 'rate_limited', message: `too many ${budget}s for too long; the session is closed` });
      return;
    }
    this.reject({ code: 'rate_limited', message }, ref);
  }

  private ack(ref: Ref | undefined): void {
    if (ref !== undefined) this.sendFrame({ type: 'ack', ref });
  }

  private reject(error: PulseError, ref?: Ref, ch?: string): void {
    this.ctx.onClientError(error);
    this.sendFrame({ type: 'error', code: error.code, message: error.message, ...(ref !== undefined && { ref }), ...(ch !== undefined && { ch }) });
  }

  private sendFrame(frame: ServerFrame): void {
    this.send(frame.type, JSON.stringify(frame));
  }

  /** Bytes waiting for the client (Transport.queuedBytes). */
  get queuedBytes(): number {
    return this.transport.queuedBytes();
  }

  behind(): boolean {
    return this.transport.queuedBytes() > coalesceAbove(this.transport.maxBufferedBytes);
  }

  holding(sub: Subscription): void {
    if (!this.catchingUp) {
      this.catchingUp = new Set();
      this.awaitCatchUp();
    }
    this.catchingUp.add(sub);
  }

  coalesced(kind: string): void {
    this.ctx.onCoalesced(kind);
  }

  // A timer only while something is held: the many sessions that keep up cost none.
  private awaitCatchUp(): void {
    setTimeout(() => {
      if (this.closed) return;
      if (this.behind()) return this.awaitCatchUp();
      const subs = this.catchingUp ?? [];
      this.catchingUp = undefined;
      // A subscription left or replaced meanwhile has nothing more to send.
      for (const sub of subs) if (this.subs.includes(sub)) sub.release();
    }, CATCH_UP_CHECK_MS).unref();
  }

  overflow(sub: Subscription): void {
    this.fail({ code: 'overloaded', message: `too many messages on ${sub.ch} while its history was read; resume with since` });
  }

  /** One frame to the client; a client too far behind is given up on. */
  send(type: ServerFrame['type'], frame: OutgoingFrame): void {
    if (this.closed) return;
    this.traffic.framesOut.inc();
    this.traffic.bytesOut.inc(typeof frame === 'string' ? Buffer.byteLength(frame) : frameBytes(frame).length);
    if (!this.transport.send(type, frame)) {
      this.fail({ code: 'overloaded', message: 'the connection fell too far behind; resume with since' });
    }
  }
}

function refOf(frame: ClientFrame): Ref | undefined {
  return 'ref' in frame ? frame.ref : undefined;
}
