/**
 * A message on its way to subscribers, with its `message` frame serialized once
 * for all of them: the fan-out never touches JSON.
 */
export interface ChannelMessage {
  ch: string;
  seq: number;
  ts: number;
  /** The whole `message` frame as UTF-8 JSON. */
  frame: Buffer;
}

const SUFFIX = Buffer.from('}');

/** Splices the stored JSON payload into the frame without parsing it. */
export function messageFrame(ch: string, seq: number, ts: number, data: Uint8Array): Buffer {
  const prefix = `{"type":"message","ch":${JSON.stringify(ch)},"seq":${seq},"ts":${ts},"data":`;
  return Buffer.concat([Buffer.from(prefix), data, SUFFIX]);
}

export function channelMessage(ch: string, seq: number, ts: number, data: Uint8Array): ChannelMessage {
  return { ch, seq, ts, frame: messageFrame(ch, seq, ts, data) };
}
