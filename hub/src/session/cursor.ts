import { fail, ok, parseChannel, type Result } from '../protocol/index.js';

/**
 * Where a session stands in each of its channels: the seq of the last message
 * it sent, or the channel's seq when it subscribed. Encoded as the SSE event id
 * and the long-poll cursor, so that any hub of the deployment can resume the
 * session from history: seqs come from JetStream, not from a hub's memory.
 *
 * The text form is `v1;<ch>@<seq>;<ch>@<seq>...`: neither `;` nor `@` can
 * appear in a channel name. Clients treat it as opaque.
 */
export const CURSOR_VERSION = 'v1';
export const MAX_CURSOR_CHANNELS = 200;
const MAX_CURSOR_LENGTH = MAX_CURSOR_CHANNELS * 240;

export class Positions {
  private readonly seqs = new Map<string, number>();
  private text: string | undefined = CURSOR_VERSION;

  set(ch: string, seq: number): void {
    if (this.seqs.get(ch) === seq) return;
    this.seqs.set(ch, seq);
    this.text = undefined;
  }

  delete(ch: string): void {
    if (this.seqs.delete(ch)) this.text = undefined;
  }

  get(ch: string): number | undefined {
    return this.seqs.get(ch);
  }

  entries(): IterableIterator<[string, number]> {
    return this.seqs.entries();
  }

  /** The cursor text, rebuilt only after a position moved. */
  encode(): string {
    if (this.text === undefined) {
      let t = CURSOR_VERSION;
      for (const [ch, seq] of this.seqs) t += `;${ch}@${seq}`;
      this.text = t;
    }
    return this.text;
  }
}

/** Reads a cursor from a client; anything malformed or foreign is a `bad_request`. */
export function decodeCursor(text: string): Result<Map<string, number>> {
  if (text.length > MAX_CURSOR_LENGTH) return fail('bad_request', 'cursor is too long');
  const parts = text.split(';');
  if (parts[0] !== CURSOR_VERSION) return fail('bad_request', 'cursor is not a Pulse cursor (expected one from an SSE id or a poll response)');
  const out = new Map<string, number>();
  for (const part of parts.slice(1)) {
    const at = part.lastIndexOf('@');
    const ch = part.slice(0, at);
    const seq = Number(part.slice(at + 1));
    if (at <= 0 || !parseChannel(ch).ok || !/^\d+$/.test(part.slice(at + 1)) || !Number.isSafeInteger(seq)) {
      return fail('bad_request', `cursor entry "${part.slice(0, 60)}" is malformed`);
    }
    out.set(ch, seq);
  }
  if (out.size > MAX_CURSOR_CHANNELS) return fail('bad_request', `cursor names more than ${MAX_CURSOR_CHANNELS} channels`);
  return ok(out);
}
