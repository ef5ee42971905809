import type { MiddlewareHandler } from 'hono';
import type { UpgradeWebSocket } from 'hono/ws';
import { WebSocket, type WebSocketServer } from 'ws';
import { MAX_FRAME_BYTES, closeCodeOf, type PulseError, type ServerFrame } from '../protocol/index.js';
import type { AuthEnv } from '../http/auth.js';
import { errorResponse } from '../http/errors.js';
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

  send(_type: ServerFrame['type'], frame: Buffer | string): boolean {
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

/**
 * WebSocket-level pings from one timer for all sockets. A socket that has not
 * answered the previous ping by the next one is dead and is terminated, so a
 * vanished peer is noticed within two intervals.
 */
export class WsHeartbeat {
  private readonly alive = new Map<WebSocket, boolean>();
  private readonly timer: NodeJS.Timeout;

  constructor(intervalMs: number) {
    this.timer = setInterval(() => this.beat(), intervalMs).unref();
  }

  add(ws: WebSocket): void {
    this.alive.set(ws, true);
    ws.on('pong', () => this.alive.set(ws, true));
  }

  remove(ws: WebSocket): void {
    this.alive.delete(ws);
  }

  stop(): void {
    clearInterval(this.timer);
  }

  private beat(): void {
    for (const [ws, alive] of this.alive) {
      if (!alive) {
        this.alive.delete(ws);
        ws.terminate();
        continue;
      }
      this.alive.set(ws, false);
      ws.ping();
    }
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
  heartbeat: WsHeartbeat,
  maxBufferedBytes: number,
): MiddlewareHandler<AuthEnv> {
  const upgrade = upgradeWebSocket((c) => {
    const user = c.get('user');
    const expiresAt = c.get('expiresAt');
    let session: Session | undefined;
    return {
      onOpen(_evt, ws) {
        heartbeat.add(ws.raw!);
        session = sessions.open(user, () => new WsTransport(ws.raw!, maxBufferedBytes), expiresAt);
      },
      onMessage(evt) {
        if (typeof evt.data === 'string') session?.receive(evt.data);
        else session?.receiveBinary();
      },
      onClose(_evt, ws) {
        heartbeat.remove(ws.raw!);
        if (session) sessions.close(session);
      },
    };
  }) as MiddlewareHandler<AuthEnv>;
  // Refused before the upgrade, so a full hub answers with a status rather than an open-then-close.
  return async (c, next) => {
    const refused = sessions.admit(c.get('user'));
    if (refused) return errorResponse(c, refused);
    return upgrade(c, next);
  };
}
