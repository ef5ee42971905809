import type { PulseError, ServerFrame, TransportKind } from '../protocol/index.js';

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
  send(type: ServerFrame['type'], frame: Buffer | string): boolean;
  /** Ends the connection, telling the peer why where the transport can. */
  close(error?: PulseError): void;
}
