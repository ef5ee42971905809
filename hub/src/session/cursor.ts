import { fail, ok, parseChannel, type Result } from '../protocol/index.js';

/**
 * Where a session stands in each of its channels: the seq of the last message
 * it sent, or the channel's seq when it subscribed (each subscription keeps
 * its own, see Subscription.position). Encoded as the SSE event id
 * and the long-poll cursor, so that any hub of the deployment can resume the
 * session from history: seqs come from JetStream, not from a hub's memory.
 *
 * The text form is `v1;<ch>@<seq>;<ch>@<seq>...`: neither `;` nor `@` can
 * appear in a channel name. A long-poll answer's cursor also numbers the
 * answer, `v1~<n>;...`, so that the next poll's cursor says which answers
 * arrived (see PollTransport). Clients treat it as opaque.
 */
export const CURSOR_VERSION = 'v1';

/** A decoded cursor: each channel's position, and which poll answer it came with, if it came with one. */
export interface Cursor {
  positions: Map<string, number>;
  answer?: number;
}
export const MAX_CURSOR_CHANNELS = 200;
const MAX_CURSOR_LENGTH = MAX_CURSOR_CHANNELS * 240;

/** The cursor text of a session's channels; one without a position yet is left out. */
export function encodeCursor(channels: Iterable<{ readonly ch: string; readonly position: number | undefined }>, answer?: number): string {
  let text = answer === undefined ? CURSOR_VERSION : `${CURSOR_VERSION}~${answer}`;
  for (const { ch, position } of channels) if (position !== undefined) text += `;${ch}@${position}`;
  return text;
}

/** Reads a cursor from a client; anything malformed or foreign is a `bad_request`. */
export function decodeCursor(text: string): Result<Cursor> {
  if (text.length > MAX_CURSOR_LENGTH) return fail('bad_request', 'cursor is too long');
  const parts = text.split(';');
  const head = /^v1(?:~(\d{1,15}))?$/.exec(parts[0]!);
  if (!head) return fail('bad_request', 'cursor is not a Pulse cursor (expected one from an SSE id or a poll response)');
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
  return ok({ positions: out, ...(head[1] !== undefined && { answer: Number(head[1]) }) });
}
