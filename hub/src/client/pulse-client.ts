import { isTransient, type AckFrame, type ClientFrame, type ErrorFrame, type MessageFrame, type Ref, type ServerFrame, type SubscribedFrame, type TransportKind, type User } from '../protocol/index.js';
import type { AnyPresenceFrame } from './channel-members.js';
import { backoffDelay } from './backoff.js';
import type { Connection, Connector } from './connections/connection.js';
import { pollConnector } from './connections/poll.js';
import { sseConnector, type EventSourceFactory } from './connections/sse.js';
import { wsConnector, type WebSocketFactory } from './connections/ws.js';

/** `idle`: the hub closed a connection that held no subscription; the next subscribe connects again. */
export type ConnectionState = 'connecting' | 'open' | 'reconnecting' | 'idle' | 'closed';

export interface ClientStatus {
  state: ConnectionState;
  transport: TransportKind | undefined;
  user: User | undefined;
  /** Why the last connection ended, when the hub said. */
  error?: ErrorFrame;
}

export interface PulseClientOptions {
  /** The hub's base URL (`http://host:port`); in a browser, defaults to the page's origin. */
  url?: string;
  token?: string;
  /** Transports in order of preference; default ws, then sse, then poll. */
  transports?: TransportKind[];
  /** How to open a WebSocket; defaults to the global one (browsers; Node 20 needs the `ws` package). */
  webSocket?: WebSocketFactory;
  /** How to open an EventSource; defaults to the global one (browsers). */
  eventSource?: EventSourceFactory;
  /** How long a transport may take to welcome before the next one is tried (default OPEN_TIMEOUT_MS). */
  openTimeoutMs?: number;
  /** How often a better transport is tried again while on a fallback (default UPGRADE_AFTER_MS). */
  upgradeAfterMs?: number;
}

export interface SubscribeOptions {
  /** Start after this seq: history after it is replayed first. */
  since?: number;
  onSubscribed?: (frame: SubscribedFrame) => void;
  /**
   * The hub refused the channel. The subscription stays: a refusal for now
   * (`overloaded`, `rate_limited`: see isTransient) is asked again after a
   * backoff, any other on the next connection.
   */
  onError?: (frame: ErrorFrame) => void;
}

type MessageHandler = (frame: MessageFrame) => void;

interface ChannelState {
  handler: MessageHandler;
  /** Where any reconnect resumes: the last seq delivered, or the channel's seq at a fresh subscribe. */
  position: number | undefined;
  /**
   * The highest seq handed to the handler: anything at or below it is a
   * duplicate (a replay overlapping what an older connection delivered). Kept
   * apart from `position` because a room's first state carries the seq of its
   * newest patch, below the channel's seq in `subscribed`.
   */
  delivered: number | undefined;
  onSubscribed?: (frame: SubscribedFrame) => void;
  onError?: (frame: ErrorFrame) => void;
  /** Refusals for now in a row, and the subscribe that asks again after the last one. */
  refusals: number;
  retry?: ReturnType<typeof setTimeout>;
}

/** A transport that cannot welcome within this long counts as blocked: the next one is tried. */
export const OPEN_TIMEOUT_MS = 4_000;
/** While on a fallback, WebSocket (or the best transport) is tried again this often. */
export const UPGRADE_AFTER_MS = 30_000;
/** The client pings this often and gives up on a connection silent for LIVENESS_MS. */
export const PING_EVERY_MS = 10_000;
export const LIVENESS_MS = 30_000;

/**
 * A Pulse connection that stays up. It takes the first transport that works
 * (WebSocket, then SSE, then long-poll), reconnects with backoff, moves back
 * up when a better transport works again, and resumes every channel from the
 * last seq it delivered, so a handler sees each message once, in order,
 * whatever happens to the connection underneath.
 */
export class PulseClient {
  private readonly channels = new Map<string, ChannelState>();
  private readonly pending = new Map<Ref, { resolve: (ack: AckFrame) => void; reject: (e: ErrorFrame) => void }>();
  private readonly statusListeners = new Set<(s: ClientStatus) => void>();
  private readonly presenceListeners = new Set<(f: AnyPresenceFrame) => void>();
  private readonly ladder: Array<{ kind: TransportKind; connect: Connector }>;
  private readonly base: URL;
  private current: Connection | undefined;
  private probe: Connection | undefined;
  private failures = 0;
  private refs = 0;
  private lastHeard = 0;
  private retryTimer: ReturnType<typeof setTimeout> | undefined;
  private upgradeTimer: ReturnType<typeof setTimeout> | undefined;
  private readonly pingTimer: ReturnType<typeof setInterval>;
  private stopped = false;
  /** The token every connection opens with: the one given, then the last one `authorize` took. */
  private token: string | undefined;
  status: ClientStatus = { state: 'connecting', transport: undefined, user: undefined };

  constructor(private readonly opts: PulseClientOptions = {}) {
    this.token = opts.token;
    this.base = new URL(opts.url ?? (typeof location !== 'undefined' ? location.origin : 'http://127.0.0.1:8080'));
    this.ladder = buildLadder(opts);
    if (this.ladder.length === 0) throw new Error('none of the requested transports is available in this runtime');
    this.pingTimer = setInterval(() => this.keepAlive(), PING_EVERY_MS);
    this.open(0);
  }

  /** Listens to `ch`; returns a function that stops listening. */
  subscribe(ch: string, handler: MessageHandler, opts: SubscribeOptions = {}): () => void {
    clearTimeout(this.channels.get(ch)?.retry);
    this.channels.set(ch, { handler, position: opts.since, delivered: opts.since, onSubscribed: opts.onSubscribed, onError: opts.onError, refusals: 0 });
    if (this.status.state === 'open') this.current?.send([this.subscribeFrame(ch)]);
    if (this.status.state === 'idle') {
      this.setStatus({ state: 'connecting', transport: undefined, user: this.status.user });
      this.open(0);
    }
    return () => {
      const state = this.channels.get(ch);
      if (state?.handler !== handler) return;
      clearTimeout(state.retry);
      this.channels.delete(ch);
      if (this.status.state === 'open') this.current?.send([{ type: 'unsubscribe', ch }]);
    };
  }

  /** Publishes from this client; settles on the hub's `ack` or `error`. */
  async publish(ch: string, data: unknown): Promise<void> {
    await this.request((ref) => ({ type: 'publish', ch, data, ref }));
  }

  /**
   * A fresh token for the same person (before the last one expires, or for a
   * new role): the open session takes it without reconnecting, and every
   * later connection opens with it. Rejects with the hub's `error` when the
   * session refuses it; while not connected, it is kept for the next one.
   */
  async authorize(token: string): Promise<void> {
    const previous = this.token;
    this.token = token;
    if (this.status.state !== 'open') return;
    // Sent with the session's token, which holds while the session does (the hub ends it when the token
    // ends); SSE and poll commands carry the new one once the session took it, a refused one never.
    const conn = this.current;
    try {
      const ack = await this.request((ref) => ({ type: 'auth', token, ref }));
      conn?.setToken(token);
      if (ack.user) this.setStatus({ ...this.status, user: ack.user });
    } catch (e) {
      // A refused token is not used again; one not answered because the connection dropped is.
      if ((e as ErrorFrame).code !== 'overloaded') this.token = previous;
      throw e;
    }
  }

  private request(frame: (ref: Ref) => ClientFrame): Promise<AckFrame> {
    const ref = `p${++this.refs}`;
    return new Promise((resolve, reject) => {
      if (this.status.state !== 'open' || !this.current) {
        reject({ type: 'error', code: 'overloaded', message: 'not connected', ref } satisfies ErrorFrame);
        return;
      }
      this.pending.set(ref, { resolve, reject });
      this.current.send([frame(ref)]);
    });
  }

  onStatus(listener: (s: ClientStatus) => void): () => void {
    this.statusListeners.add(listener);
    listener(this.status);
    return () => this.statusListeners.delete(listener);
  }

  /** Presence frames of every channel: `presence_state`, `presence_diff` and `presence_count`. See ChannelMembers. */
  onPresence(listener: (f: AnyPresenceFrame) => void): () => void {
    this.presenceListeners.add(listener);
    return () => this.presenceListeners.delete(listener);
  }

  close(): void {
    this.stopped = true;
    clearTimeout(this.retryTimer);
    clearTimeout(this.upgradeTimer);
    clearInterval(this.pingTimer);
    for (const state of this.channels.values()) clearTimeout(state.retry);
    this.probe?.close();
    this.current?.close();
    this.setStatus({ state: 'closed', transport: undefined, user: this.status.user });
  }

  /** Opens the transport at `rung` of the ladder; it becomes current once the hub welcomes it. */
  private open(rung: number): void {
    if (this.stopped) return;
    const { connect, kind } = this.ladder[rung]!;
    // A probe tries a better transport while the current one keeps working.
    const isProbe = this.current !== undefined;
    let welcomed = false;
    let lastError: ErrorFrame | undefined;
    const timeout = setTimeout(() => conn.close(), this.opts.openTimeoutMs ?? OPEN_TIMEOUT_MS);
    const conn: Connection = connect({
      base: this.base,
      token: this.token,
      events: {
        frame: (f) => {
          if (f.type === 'welcome') {
            welcomed = true;
            clearTimeout(timeout);
            this.adopt(conn, f.user);
          } else if (f.type === 'error' && !f.ref && !f.ch) {
            lastError = f;
          }
          if (conn === this.current) this.receive(f);
        },
        closed: () => {
          clearTimeout(timeout);
          if (this.probe === conn) this.probe = undefined;
          if (this.stopped) return;
          if (!welcomed) {
            if (isProbe) return;
            // Blocked here: try the next transport down at once, or back off and start over from the top.
            if (rung + 1 < this.ladder.length) this.open(rung + 1);
            else this.retry(lastError);
            return;
          }
          if (conn !== this.current) return;
          this.current = undefined;
          this.failPending();
          // Closed for holding nothing: reconnecting would only be closed again.
          if (lastError?.code === 'idle' && this.channels.size === 0) {
            this.setStatus({ state: 'idle', transport: undefined, user: this.status.user, error: lastError });
            return;
          }
          // A hub that is stopping asks its clients to move now: the next connection reaches another hub.
          this.retry(lastError, kind, lastError?.code === 'going_away');
        },
      },
    });
    if (isProbe) this.probe = conn;
  }

  /** A connection was welcomed: it replaces the current one and resumes every channel. */
  private adopt(conn: Connection, user: User): void {
    const previous = this.current;
    this.current = conn;
    this.probe = undefined;
    this.failures = 0;
    this.lastHeard = Date.now();
    this.setStatus({ state: 'open', transport: conn.kind, user });
    for (const state of this.channels.values()) clearTimeout(state.retry);
    conn.send([...this.channels.keys()].map((ch) => this.subscribeFrame(ch)));
    // Closed after the new one has asked to resume: positions only move forward, so nothing is lost in between.
    if (previous) {
      this.failPending();
      previous.close();
    }
    clearTimeout(this.upgradeTimer);
    const rung = this.ladder.findIndex((t) => t.kind === conn.kind);
    if (rung > 0) this.upgradeTimer = setTimeout(() => this.tryUpgrade(), this.opts.upgradeAfterMs ?? UPGRADE_AFTER_MS);
  }

  private tryUpgrade(): void {
    if (this.stopped || this.probe || !this.current) return;
    this.open(0);
    // A failed probe leaves the current connection alone; try again later.
    this.upgradeTimer = setTimeout(() => this.tryUpgrade(), this.opts.upgradeAfterMs ?? UPGRADE_AFTER_MS);
  }

  private retry(error: ErrorFrame | undefined, lastKind?: TransportKind, atOnce = false): void {
    this.setStatus({ state: 'reconnecting', transport: undefined, user: this.status.user, ...(error && { error }) });
    const again = lastKind ? this.ladder.findIndex((t) => t.kind === lastKind) : 0;
    this.retryTimer = setTimeout(() => this.open(Math.max(0, again)), atOnce ? 0 : backoffDelay(this.failures++));
  }

  private keepAlive(): void {
    if (this.status.state !== 'open' || !this.current) return;
    if (Date.now() - this.lastHeard > LIVENESS_MS) {
      this.current.close();
      return;
    }
    this.current.send([{ type: 'ping' }]);
  }

  private receive(frame: ServerFrame): void {
    this.lastHeard = Date.now();
    switch (frame.type) {
      case 'subscribed': {
        const state = this.channels.get(frame.ch);
        if (!state) return;
        state.refusals = 0;
        if (state.position === undefined) state.position = frame.seq;
        state.onSubscribed?.(frame);
        return;
      }
      case 'message': {
        const state = this.channels.get(frame.ch);
        if (!state) return;
        if (frame.seq !== undefined) {
          if (state.delivered !== undefined && frame.seq <= state.delivered) return;
          state.delivered = frame.seq;
          state.position = Math.max(state.position ?? 0, frame.seq);
        }
        state.handler(frame);
        return;
      }
      case 'presence':
      case 'presence_count':
      case 'presence_state':
      case 'presence_diff':
        for (const l of this.presenceListeners) l(frame);
        return;
      case 'ack':
        this.pending.get(frame.ref)?.resolve(frame);
        this.pending.delete(frame.ref);
        return;
      case 'error':
        if (frame.ref) {
          this.pending.get(frame.ref)?.reject(frame);
          this.pending.delete(frame.ref);
        } else if (frame.ch) {
          const state = this.channels.get(frame.ch);
          state?.onError?.(frame);
          if (state && isTransient(frame.code)) this.subscribeLater(frame.ch, state);
        }
        return;
      case 'welcome':
      case 'pong':
        return;
    }
  }

  /** Asks for a channel refused for now again after a backoff, on the connection open by then; a new connection asks anyway. */
  private subscribeLater(ch: string, state: ChannelState): void {
    clearTimeout(state.retry);
    state.retry = setTimeout(() => {
      if (this.channels.get(ch) === state && this.status.state === 'open') this.current?.send([this.subscribeFrame(ch)]);
    }, backoffDelay(state.refusals++));
  }

  private subscribeFrame(ch: string): ClientFrame {
    const position = this.channels.get(ch)?.position;
    return { type: 'subscribe', ch, ...(position !== undefined && { since: position }) };
  }

  private failPending(): void {
    for (const [ref, p] of this.pending) p.reject({ type: 'error', code: 'overloaded', message: 'connection lost before the hub answered', ref });
    this.pending.clear();
  }

  private setStatus(status: ClientStatus): void {
    this.status = status;
    for (const l of this.statusListeners) l(status);
  }
}

function buildLadder(opts: PulseClientOptions): Array<{ kind: TransportKind; connect: Connector }> {
  const g = globalThis as { WebSocket?: new (url: string) => unknown; EventSource?: new (url: string) => unknown; fetch?: unknown };
  const ws = opts.webSocket ?? (g.WebSocket ? (u: string) => new g.WebSocket!(u) as ReturnType<WebSocketFactory> : undefined);
  const es = opts.eventSource ?? (g.EventSource ? (u: string) => new g.EventSource!(u) as ReturnType<EventSourceFactory> : undefined);
  const available: Partial<Record<TransportKind, Connector>> = {
    ...(ws && { ws: wsConnector(ws) }),
    ...(es && { sse: sseConnector(es) }),
    ...(g.fetch !== undefined && { poll: pollConnector }),
  };
  return (opts.transports ?? ['ws', 'sse', 'poll']).flatMap((kind) => (available[kind] ? [{ kind, connect: available[kind] }] : []));
}
