import type { ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { MiddlewareHandler } from 'hono';
import { RESPONSE_ALREADY_SENT } from '@hono/node-server/utils/response';
import { closeCodeOf, type PulseError, type ServerFrame } from '../protocol/index.js';
import type { SessionTable } from '../session/session-table.js';
import { corkForTick, socketBacklog, type OutgoingFrame, type SessionHandle, type Transport } from '../session/transport.js';
import type { AuthEnv } from '../http/auth.js';
import { errorResponse } from '../http/errors.js';
import { readStreamRequest, type StreamLimits } from './stream-request.js';
import { SlicedRound } from './sliced-timer.js';

/** The contract asks for a comment at least every 15 s; proxies drop idle streams sooner or later. */
export const SSE_KEEPALIVE_MS = 10_000;

/** Tells EventSource how long to wait before it reconnects by itself. */
const RETRY_MS = 1000;

const DATA = Buffer.from('data: ');
const END = Buffer.from('\n\n');

/**
 * Server-Sent Events: each frame is one event whose id is the session's
 * cursor after that frame, so `Last-Event-ID` resumes every channel of the
 * stream.
 *
 * The stream is the rest of the connection (no chunked encoding, `Connection:
 * close`), so events are written straight to the socket. A channel message's
 * event is built once for all the subscribers whose id after it is the same;
 * for the others, their own `event:` and `id:` lines and the `data:` part,
 * built once, go out in one write.
 */
export class SseTransport implements Transport {
  readonly kind = 'sse' as const;
  private readonly socket: Socket;

  constructor(
    private readonly res: ServerResponse,
    private readonly session: SessionHandle,
    readonly maxBufferedBytes: number,
  ) {
    res.useChunkedEncodingByDefault = false;
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache, no-transform',
      connection: 'close',
      // nginx and some other proxies buffer responses unless told not to.
      'x-accel-buffering': 'no',
    });
    res.flushHeaders();
    this.socket = res.socket!;
    this.socket.write(`retry: ${RETRY_MS}\n\n`);
  }

  send(type: ServerFrame['type'], frame: OutgoingFrame): boolean {
    if (!this.open) return true;
    const id = this.session.cursor();
    if (typeof frame === 'string' || Buffer.isBuffer(frame)) {
      this.write(type, id, Buffer.concat([DATA, Buffer.from(frame), END]));
    } else {
      // Sessions whose cursor reads the same after this frame (every one-channel session of its
      // channel) get the very same event: built once, then one write each, as over WebSocket.
      const encodings = (frame.encodings ??= {});
      const event = (encodings.sseEvent ??= { type, id, bytes: Buffer.concat([Buffer.from(`event: ${type}\nid: ${id}\n`), DATA, frame.frame, END]) });
      if (event.id === id && event.type === type) this.socket.write(event.bytes);
      else this.write(type, id, (encodings.sseData ??= Buffer.concat([DATA, frame.frame, END])));
    }
    return this.socket.writableLength <= this.maxBufferedBytes;
  }

  /** This session's `event` and `id` lines, then a `data` part that may be shared, in one write. */
  private write(type: ServerFrame['type'], id: string, data: Buffer): void {
    this.socket.cork();
    this.socket.write(`event: ${type}\nid: ${id}\n`);
    this.socket.write(data);
    this.socket.uncork();
  }

  keepalive(): void {
    if (this.open) this.socket.write(': keepalive\n\n');
  }

  close(error?: PulseError, abort = false): void {
    if (abort) {
      // A reset, not a FIN queued behind bytes the peer will never read: the kernel lets go of them too.
      this.socket.resetAndDestroy();
      return;
    }
    // The error frame went out as an event before this; the close code is only for logs in the stream.
    if (error && this.open) this.socket.write(`: closed ${closeCodeOf(error.code)}\n\n`);
    this.res.end();
    this.socket.end();
  }

  queuedBytes(): number {
    return this.socket.writableLength;
  }

  backlog(): { queued: number; sent: number } {
    return socketBacklog(this.socket);
  }

  batchWrites(): void {
    corkForTick(this.socket);
  }

  private get open(): boolean {
    return !this.socket.destroyed && this.socket.writable;
  }
}

/** Writes the keep-alive comment to every open stream once per SSE_KEEPALIVE_MS, in slices spread over it. */
export class SseKeepalive {
  private readonly round = new SlicedRound<SseTransport>(SSE_KEEPALIVE_MS, (s) => s.keepalive());

  add(t: SseTransport): void {
    this.round.add(t);
  }

  remove(t: SseTransport): void {
    this.round.delete(t);
  }

  stop(): void {
    this.round.stop();
  }
}

/** `GET /api/sse`: a stream becomes a session of the user the auth middleware found. */
export function sseRoute(sessions: SessionTable, keepalive: SseKeepalive, limits: StreamLimits): MiddlewareHandler<AuthEnv> {
  return async (c) => {
    const request = readStreamRequest(c, limits.maxChannels);
    if (!request.ok) return errorResponse(c, request.error);
    const refused = sessions.admit(c.get('user'));
    if (refused) return errorResponse(c, refused);
    const res = c.env.outgoing;
    let transport: SseTransport | undefined;
    const session = sessions.open(
      c.get('user'),
      (handle) => (transport = new SseTransport(res, handle, limits.maxBufferedBytes)),
      { expiresAt: c.get('expiresAt'), presenceDiff: request.value.presenceDiff },
    );
    keepalive.add(transport!);
    res.once('close', () => {
      keepalive.remove(transport!);
      sessions.close(session);
    });
    session.subscribeAll(request.value.channels, request.value.cursor);
    return RESPONSE_ALREADY_SENT;
  };
}
