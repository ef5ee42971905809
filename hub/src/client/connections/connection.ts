import { PRESENCE_DIFF_PARAM, type ClientFrame, type ServerFrame, type TransportKind } from '../../protocol/index.js';

/** What a connection reports to the client that owns it. */
export interface ConnectionEvents {
  frame(frame: ServerFrame): void;
  /** The connection is over, for whatever reason; called once. */
  closed(): void;
}

/** One attempt to reach the hub over one transport. */
export interface Connection {
  readonly kind: TransportKind;
  send(frames: ClientFrame[]): void;
  /** Requests this connection makes from now on carry this token (SSE and poll send commands as HTTP requests). */
  setToken(token: string): void;
  close(): void;
}

export interface ConnectOptions {
  base: URL;
  token: string | undefined;
  events: ConnectionEvents;
}

export type Connector = (opts: ConnectOptions) => Connection;

/** Headers that carry a token, changed in place when the token is: every request made with them from then on carries the new one. */
export function tokenHeaders(token: string | undefined): { headers: Record<string, string>; setToken: (token: string) => void } {
  const headers: Record<string, string> = token ? { authorization: `Bearer ${token}` } : {};
  return { headers, setToken: (next) => void (headers.authorization = `Bearer ${next}`) };
}

/** Where a session opens; the client library takes presence as `presence_state` and `presence_diff`. */
export function endpoint(base: URL, path: string, token: string | undefined): URL {
  const url = new URL(path, base);
  if (token) url.searchParams.set('token', token);
  url.searchParams.set(PRESENCE_DIFF_PARAM.name, PRESENCE_DIFF_PARAM.value);
  return url;
}

/**
 * Wraps `closed` so it fires once, whichever of error, close or a failed
 * request comes first.
 */
export function once(events: ConnectionEvents): ConnectionEvents & { isClosed(): boolean } {
  let done = false;
  return {
    frame: (f) => {
      if (!done) events.frame(f);
    },
    closed: () => {
      if (done) return;
      done = true;
      events.closed();
    },
    isClosed: () => done,
  };
}
