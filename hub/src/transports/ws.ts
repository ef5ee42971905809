import type { MiddlewareHandler } from 'hono';
import type { UpgradeWebSocket } from 'hono/ws';
import { WebSocket, type WebSocketServer } from 'ws';
import { MAX_FRAME_BYTES, closeCodeOf, type PulseError, type User } from '../protocol/index.js';
import type { Session } from '../session/session.js';
import type { SessionTable } from '../session/session-table.js';
import type { Transport } from '../session/transport.js';

/**
 * Frames above MAX_FRAME_BYTES get a `too_large` error from the session and
 * the connection lives on; this bound only stops a peer from making the hub
 * buffer megabytes for one frame.
 */
const MAX_WS_PAYLOAD_BYTES = 16 * MAX_FRAME_BYTES;

class WsTransport implements Transport {
  readonly kind = 'ws' as const;

  constructor(
    private readonly ws: WebSocket,
    private readonly maxBufferedBytes: number,
  ) {}

  send(frame: Buffer | string): boolean {
    if (this.ws.readyState !== WebSocket.OPEN) return true;
    // A Buffer goes out as a text frame: the message was serialized once for every subscriber.
    this.ws.send(frame, { binary: false });
    return this.ws.bufferedAmount <= this.maxBufferedBytes;
  }

  close(error?: PulseError): void {
    if (error) this.ws.close(closeCodeOf(error.code), error.message.slice(0, 120));
    else this.ws.close(1000);
  }
}

export function limitWsPayload(wss: WebSocketServer): void {
  // @hono/node-ws builds its server with ws's 100 MiB default and no option to change it.
  (wss.options as { maxPayload?: number }).maxPayload = MAX_WS_PAYLOAD_BYTES;
}

/** `GET /ws`: an upgraded connection becomes a session of the user the auth middleware found. */
export function wsRoute(
  upgradeWebSocket: UpgradeWebSocket<WebSocket>,
  sessions: SessionTable,
  maxBufferedBytes: number,
): MiddlewareHandler<{ Variables: { user: User } }> {
  return upgradeWebSocket((c) => {
    const user = c.get('user');
    let session: Session | undefined;
    return {
      onOpen(_evt, ws) {
        session = sessions.open(user, new WsTransport(ws.raw!, maxBufferedBytes));
      },
      onMessage(evt) {
        if (typeof evt.data === 'string') session?.receive(evt.data);
        else session?.receive('');
      },
      onClose() {
        if (session) sessions.close(session);
      },
    };
  }) as MiddlewareHandler<{ Variables: { user: User } }>;
}
