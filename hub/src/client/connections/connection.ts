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
  close(): void;
}

export interface ConnectOptions {
  base: URL;
  token: string | undefined;
  events: ConnectionEvents;
}

export type Connector = (opts: ConnectOptions) => Connection;

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
