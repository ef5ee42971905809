import type { Context } from 'hono';
import { fail, ok, parseChannel, PRESENCE_DIFF_PARAM, type Result } from '../protocol/index.js';
import { decodeCursor } from '../session/cursor.js';

export interface StreamLimits {
  maxChannels: number;
  maxBufferedBytes: number;
}

export interface StreamRequest {
  channels: string[];
  cursor: Map<string, number>;
  /** `presence=diff`: presence as `presence_state` and `presence_diff` frames. */
  presenceDiff: boolean;
}

/** Whether a request that opens a session asks for presence as `presence_state` and `presence_diff`. */
export function wantsPresenceDiff(c: Context): boolean {
  return c.req.query(PRESENCE_DIFF_PARAM.name) === PRESENCE_DIFF_PARAM.value;
}

/**
 * The channels and resume position of an SSE or poll request:
 * `?ch=<ch>&ch=<ch>` and a cursor from `Last-Event-ID` or `?cursor=`.
 */
export function readStreamRequest(c: Context, maxChannels: number): Result<StreamRequest> {
  const channels = c.req.queries('ch') ?? [];
  if (channels.length > maxChannels) return fail('bad_request', `at most ${maxChannels} channels per stream`);
  for (const ch of channels) {
    const parsed = parseChannel(ch);
    if (!parsed.ok) return parsed;
  }
  const presenceDiff = wantsPresenceDiff(c);
  const text = c.req.header('last-event-id') || c.req.query('cursor');
  if (!text) return ok({ channels, cursor: new Map(), presenceDiff });
  const cursor = decodeCursor(text);
  if (!cursor.ok) return cursor;
  return ok({ channels, cursor: cursor.value.positions, presenceDiff });
}
