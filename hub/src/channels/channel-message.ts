import type { Coalescing } from './coalescing.js';

/**
 * One frame serialized once and sent to many sessions. A transport that needs
 * its own bytes for it (a WebSocket frame header, say) makes them once, on the
 * first send, and keeps them in `encodings` for every other subscriber.
 */
export interface SharedFrame {
  /** The whole frame as UTF-8 JSON. */
  readonly frame: Buffer;
  encodings?: Encodings;
}

/** A shared frame's bytes as each transport writes them, made by the first subscriber that needs them. */
export interface Encodings {
  /** Its WebSocket frame. */
  ws?: Buffer;
  /** The `data:` part of its SSE event. */
  sseData?: Buffer;
  /**
   * A whole SSE event, for every subscriber whose event id (its cursor) after
   * this frame is `id`: all the one-channel sessions of a channel.
   */
  sseEvent?: { type: string; id: string; bytes: Buffer };
}

/** A message on its way to subscribers, its `message` frame serialized once for all of them: the fan-out never touches JSON. */
export interface ChannelMessage extends SharedFrame {
  ch: string;
  seq: number;
  ts: number;
  /** Set where a newer message can stand for this one when a subscriber falls behind. */
  coalesce: Coalescing | undefined;
}

const SUFFIX = Buffer.from('}');

/** Splices the stored JSON payload into the frame without parsing it. */
export function messageFrame(ch: string, seq: number, ts: number, data: Uint8Array): Buffer {
  const prefix = `{"type":"message","ch":${JSON.stringify(ch)},"seq":${seq},"ts":${ts},"data":`;
  return Buffer.concat([Buffer.from(prefix), data, SUFFIX]);
}

export function channelMessage(ch: string, seq: number, ts: number, data: Uint8Array, coalesce?: Coalescing): ChannelMessage {
  // Always set, so every message the fan-out handles has one shape.
  return { ch, seq, ts, frame: messageFrame(ch, seq, ts, data), coalesce };
}
