import type {
  ClientFrame,
  ErrorFrame,
  MessageFrame,
  PresenceFrame,
  ServerFrame,
  SubscribedFrame,
  TransportKind,
  User,
} from '../protocol/index.js';
import { backoffDelay } from './backoff.js';

export type ConnectionState = 'connecting' | 'open' | 'reconnecting' | 'closed';

export interface ClientStatus {
  state: ConnectionState;
  transport: TransportKind | undefined;
  user: User | undefined;
  /** Why the last connection ended, when it ended with an error. */
  error?: ErrorFrame;
}

/** The subset of the WebSocket API the client uses; the browser's and the `ws` package's both fit. */
export interface WebSocketLike {
  readonly readyState: number;
  onopen: ((ev: unknown) => void) | null;
  onmessage: ((ev: { data: unknown }) => void) | null;
  onclose: ((ev: { code: number; reason: string }) => void) | null;
  onerror: ((ev: unknown) => void) | null;
  send(data: string): void;
  close(code?: number, reason?: string): void;
}

export type WebSocketFactory = (url: string) => WebSocketLike;

export interface PulseClientOptions {
  /** The hub's base URL (`http://host:port`); in a browser, defaults to the page's origin. */
  url?: string;
  token?: string;
  /** How to open a WebSocket; defaults to the global WebSocket (browsers, Node 22+). */
  webSocket?: WebSocketFactory;
}

export interface SubscribeOptions {
  /** Start after this seq: history after it is replayed first. */
  since?: number;
  onSubscribed?: (frame: SubscribedFrame) => void;
}

type MessageHandler = (frame: MessageFrame) => void;

interface ChannelState {
  handler: MessageHandler;
  /** The last seq delivered (or the channel's seq at subscribe): where a reconnect resumes. */
  position: number | undefined;
  onSubscribed?: (frame: SubscribedFrame) => void;
}

const OPEN = 1;

/**
 * A Pulse connection that stays up: it reconnects with backoff and resumes
 * every channel from its last seq, so the handler sees each message once, in
 * order, across reconnects.
 */
export class PulseClient {
  private ws: WebSocketLike | undefined;
  private readonly channels = new Map<string, ChannelState>();
  private readonly pending = new Map<string, { resolve: () => void; reject: (e: ErrorFrame) => void }>();
  private readonly statusListeners = new Set<(s: ClientStatus) => void>();
  private readonly presenceListeners = new Set<(f: PresenceFrame) => void>();
  private attempt = 0;
  private refs = 0;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private stopped = false;
  status: ClientStatus = { state: 'connecting', transport: undefined, user: undefined };

  constructor(private readonly opts: PulseClientOptions = {}) {
    this.connect();
  }

  /** Listens to `channel`; returns a function that stops listening. */
  subscribe(ch: string, handler: MessageHandler, opts: SubscribeOptions = {}): () => void {
    this.channels.set(ch, { handler, position: opts.since, onSubscribed: opts.onSubscribed });
    this.sendSubscribe(ch);
    return () => {
      if (this.channels.get(ch)?.handler !== handler) return;
      this.channels.delete(ch);
      this.send({ type: 'unsubscribe', ch });
    };
  }

  /** Publishes from this client; settles on the hub's `ack` or `error`. */
  publish(ch: string, data: unknown): Promise<void> {
    const ref = `p${++this.refs}`;
    return new Promise((resolve, reject) => {
      if (!this.send({ type: 'publish', ch, data, ref })) {
        reject({ type: 'error', code: 'overloaded', message: 'not connected', ref } satisfies ErrorFrame);
        return;
      }
      this.pending.set(ref, { resolve, reject });
    });
  }

  onStatus(listener: (s: ClientStatus) => void): () => void {
    this.statusListeners.add(listener);
    listener(this.status);
    return () => this.statusListeners.delete(listener);
  }

  onPresence(listener: (f: PresenceFrame) => void): () => void {
    this.presenceListeners.add(listener);
    return () => this.presenceListeners.delete(listener);
  }

  close(): void {
    this.stopped = true;
    clearTimeout(this.timer);
    this.ws?.close(1000);
    this.setStatus({ state: 'closed', transport: undefined, user: this.status.user });
  }

  private connect(): void {
    if (this.stopped) return;
    const base = this.opts.url ?? (typeof location !== 'undefined' ? location.origin : 'http://127.0.0.1:8080');
    const url = new URL('/ws', base);
    url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
    if (this.opts.token) url.searchParams.set('token', this.opts.token);
    const open: WebSocketFactory = this.opts.webSocket ?? ((u) => new WebSocket(u) as unknown as WebSocketLike);
    const ws = open(url.toString());
    this.ws = ws;
    let lastError: ErrorFrame | undefined;
    ws.onmessage = (ev) => {
      const frame = JSON.parse(String(ev.data)) as ServerFrame;
      if (frame.type === 'error' && !frame.ref && !frame.ch) lastError = frame;
      this.receive(frame);
    };
    ws.onclose = () => {
      if (this.ws !== ws) return;
      this.ws = undefined;
      for (const [ref, p] of this.pending) p.reject({ type: 'error', code: 'overloaded', message: 'connection lost before the hub answered', ref });
      this.pending.clear();
      if (this.stopped) return;
      this.setStatus({ state: 'reconnecting', transport: undefined, user: this.status.user, ...(lastError && { error: lastError }) });
      this.timer = setTimeout(() => this.connect(), backoffDelay(this.attempt++));
    };
    ws.onerror = () => undefined;
  }

  private receive(frame: ServerFrame): void {
    switch (frame.type) {
      case 'welcome':
        this.attempt = 0;
        this.setStatus({ state: 'open', transport: frame.transport, user: frame.user });
        for (const ch of this.channels.keys()) this.sendSubscribe(ch);
        return;
      case 'subscribed': {
        const state = this.channels.get(frame.ch);
        if (!state) return;
        if (state.position === undefined) state.position = frame.seq;
        state.onSubscribed?.(frame);
        return;
      }
      case 'message': {
        const state = this.channels.get(frame.ch);
        if (!state) return;
        if (frame.seq !== undefined) {
          if (state.position !== undefined && frame.seq <= state.position) return;
          state.position = frame.seq;
        }
        state.handler(frame);
        return;
      }
      case 'presence':
        for (const l of this.presenceListeners) l(frame);
        return;
      case 'ack':
        this.pending.get(frame.ref)?.resolve();
        this.pending.delete(frame.ref);
        return;
      case 'error':
        if (frame.ref) {
          this.pending.get(frame.ref)?.reject(frame);
          this.pending.delete(frame.ref);
        }
        return;
      case 'pong':
        return;
    }
  }

  private sendSubscribe(ch: string): void {
    const state = this.channels.get(ch);
    if (!state) return;
    this.send({ type: 'subscribe', ch, ...(state.position !== undefined && { since: state.position }) });
  }

  private send(frame: ClientFrame): boolean {
    if (!this.ws || this.ws.readyState !== OPEN || this.status.state !== 'open') return false;
    this.ws.send(JSON.stringify(frame));
    return true;
  }

  private setStatus(status: ClientStatus): void {
    this.status = status;
    for (const l of this.statusListeners) l(status);
  }
}
