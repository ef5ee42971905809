import type { ServerFrame } from '../../protocol/index.js';
import { endpoint, once, type Connection, type Connector } from './connection.js';

/** The subset of the WebSocket API used here; the browser's and the `ws` package's both fit. */
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

const OPEN = 1;

export function wsConnector(open: WebSocketFactory): Connector {
  return ({ base, token, events }) => {
    const url = endpoint(base, '/ws', token);
    url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
    const guarded = once(events);
    const ws = open(url.toString());
    ws.onmessage = (ev) => guarded.frame(JSON.parse(String(ev.data)) as ServerFrame);
    ws.onclose = () => guarded.closed();
    ws.onerror = () => guarded.closed();
    const connection: Connection = {
      kind: 'ws',
      send(frames) {
        if (ws.readyState !== OPEN) return;
        for (const f of frames) ws.send(JSON.stringify(f));
      },
      // The socket was opened with the token; nothing it sends later carries one.
      setToken() {},
      close() {
        ws.close(1000);
        guarded.closed();
      },
    };
    return connection;
  };
}
