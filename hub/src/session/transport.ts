import type { PulseError, ServerFrame, TransportKind } from '../protocol/index.js';
import type { SharedFrame } from '../channels/channel-message.js';

/** What a transport is handed: a frame of this session alone, or one shared by every subscriber of a channel. */
export type OutgoingFrame = Buffer | string | SharedFrame;

/** The JSON bytes or text of any outgoing frame. */
export function frameBytes(frame: OutgoingFrame): Buffer | string {
  return typeof frame === 'string' || Buffer.isBuffer(frame) ? frame : frame.frame;
}

/** What a transport may know of its session: for what it writes besides frames (SSE ids, poll answers). */
export interface SessionHandle {
  readonly id: string;
  /** The session's cursor; a poll answer adds its own number. */
  cursor(answer?: number): string;
}

/**
 * What a session needs from a connection: move frames out and close. Each
 * transport (ws, sse, poll) turns its requests into one of these; everything
 * else (subscriptions, permissions, resume, backpressure policy) lives in the
 * session and is written once.
 */
export interface Transport {
  readonly kind: TransportKind;
  /**
   * Queues one serialized frame. Returns false once the peer has fallen so far
   * behind that the session should give up on it.
   */
  send(type: ServerFrame['type'], frame: OutgoingFrame): boolean;
  /** Bytes waiting for the peer: unsent on the socket, or not yet taken and acknowledged by polls. */
  queuedBytes(): number;
  /** The bound on `queuedBytes` past which `send` gives up on the peer. */
  readonly maxBufferedBytes: number;
  /**
   * Ends the connection, telling the peer why where the transport can. With
   * `abort`, the peer is known not to read: the connection is dropped at once
   * instead of waiting for it to take a last frame.
   */
  close(error?: PulseError, abort?: boolean): void;
  /**
   * For a transport writing to a socket: bytes waiting in the process, and
   * bytes handed to the kernel so far. When the first stays above zero while
   * the second stands still, the peer has stopped reading.
   */
  backlog?(): { queued: number; sent: number };
  /** For a transport writing to a socket: what is written until the end of this tick leaves in one write. */
  batchWrites?(): void;
}

/**
 * Bytes waiting for a peer past which it counts as behind, and the session
 * holds what can be coalesced instead of queueing it: a quarter of the
 * bound at which it is given up on, and at most 64 KiB, a few seconds of a
 * busy dashboard, so a viewer on a slow link is sent the newest figures
 * rather than a backlog of old ones.
 */
export function coalesceAbove(maxBufferedBytes: number): number {
  return Math.min(64 * 1024, maxBufferedBytes / 4);
}

/** Holds a socket's writes until the end of the tick, then sends them in one system call. */
export function corkForTick(socket: { cork(): void; uncork(): void }): void {
  socket.cork();
  process.nextTick(() => socket.uncork());
}

/**
 * Holds a socket's writes until this turn of the event loop is over, promises
 * settled along the way included: what answers an upgrade, and what the
 * subscriptions named in its URL send when their catch-up needs no I/O, leave
 * in one write.
 */
export function corkForTurn(socket: { cork(): void; uncork(): void }): void {
  socket.cork();
  setImmediate(() => socket.uncork());
}

/** What a socket reports of its own writes, as Transport.backlog asks. */
export function socketBacklog(socket: { writableLength: number; bytesWritten: number }): { queued: number; sent: number } {
  return { queued: socket.writableLength, sent: socket.bytesWritten - socket.writableLength };
}
