import type { Socket } from 'node:net';
import { WebSocket } from 'ws';
import { closeCodeOf, type PulseError, type ServerFrame } from '../protocol/index.js';
import { corkForTick, socketBacklog, type OutgoingFrame, type Transport } from '../session/transport.js';
import { wsTextFrame } from './ws-frame.js';

/** A session's WebSocket: text frames out, and a shared channel message written as one prebuilt frame. */
export class WsTransport implements Transport {
  readonly kind = 'ws' as const;
  private readonly socket: Socket;

  constructor(
    private readonly ws: WebSocket,
    readonly maxBufferedBytes: number,
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

  queuedBytes(): number {
    return this.ws.bufferedAmount;
  }

  backlog(): { queued: number; sent: number } {
    return socketBacklog(this.socket);
  }

  batchWrites(): void {
    corkForTick(this.socket);
  }

  close(error?: PulseError, abort = false): void {
    // A reset, not a FIN queued behind bytes the peer will never read: the kernel lets go of them too.
    if (abort) this.socket.resetAndDestroy();
    else if (error) this.ws.close(closeCodeOf(error.code), error.message.slice(0, 120));
    else this.ws.close(1000);
  }
}
