import type { Socket } from 'node:net';
import type { MiddlewareHandler } from 'hono';
import type { UpgradeWebSocket } from 'hono/ws';
import { WebSocket, type WebSocketServer } from 'ws';
import { MAX_FRAME_BYTES, closeCodeOf, type PulseError, type ServerFrame } from '../protocol/index.js';
import type { AuthEnv } from '../http/auth.js';
import { errorResponse } from '../http/errors.js';
import type { Session } from '../session/session.js';
import type { SessionTable } from '../session/session-table.js';
import type { OutgoingFrame, Transport } from '../session/transport.js';
import { wsTextFrame } from './ws-frame.js';
import { SlicedRound } from './sliced-timer.js';

/**
 * Frames above MAX_FRAME_BYTES get a `too_large` error from the session and
 * the connection lives on; this bound only stops a peer from making the hub
 * buffer megabytes for one frame.
 */
const MAX_WS_PAYLOAD_BYTES = 16 * MAX_FRAME_BYTES;

class WsTransport implements Transport {
  readonly kind = 'ws' as const;
  private readonly socket: Socket;

  constructor(
    private readonly ws: WebSocket,
    private readonly maxBufferedBytes: number,
  ) {
    this.socket = (ws as unknown as { _socket: Socket })._socket;
  }

  send(_type: ServerFrame['type'], frame: OutgoingFrame): boolean {
    if (this.ws.readyState !== WebSocket.OPEN) return true;
    if (typeof frame === 'string' || Buffer.isBuffer(frame)) {
      this.ws.send(frame, { binary: false });
    } else {
      // A channel message: its WebSocket frame is built once for all subscribers and written whole.
      // ws only frames and writes itself when sending, and compression is off, so whole frames
      // written here never interleave with one of its own.
      const encodings = (frame.encodings ??= {});
      this.socket.write((encodings.ws ??= wsTextFrame(frame.frame)));
    }
    return this.ws.bufferedAmount <= this.maxBufferedBytes;
  }

  close(error?: PulseError): void {
    if (error) this.ws.close(closeCodeOf(error.code), error.message.slice(0, 120));
    else this.ws.close(1000);
  }
}

const ALIVE = Symbol('alive');
type Watched = WebSocket & { [ALIVE]?: boolean };

/**
 * WebSocket-level pings, each socket once per interval, in slices spread over
 * the interval (SlicedRound). A socket that has not answered the previous
 * ping by the next one is dead and is terminated, so a vanished peer is
 * noticed within two intervals.
 */
export class WsHeartbeat {
  private readonly round: SlicedRound<Watched>;

  constructor(intervalMs: number) {
    this.round = new SlicedRound(intervalMs, (ws) => this.beat(ws));
  }

  add(ws: Watched): void {
    ws[ALIVE] = true;
    ws.on('pong', markAlive);
    this.round.add(ws);
  }

  remove(ws: Watched): void {
    this.round.delete(ws);
  }

  stop(): void {
    this.round.stop();
  }

  private beat(ws: Watched): void {
    if (!ws[ALIVE]) {
      this.round.delete(ws);
      ws.terminate();
      return;
    }
    ws[ALIVE] = false;
    ws.ping();
  }
}

// One listener function for every socket, instead of a closure each.
function markAlive(this: Watched): void {
  this[ALIVE] = true;
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
