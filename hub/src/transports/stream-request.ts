import type { Context } from 'hono';
import { fail, ok, parseChannel, type Result } from '../protocol/index.js';
import { decodeCursor } from '../session/cursor.js';

export interface StreamLimits {
  maxChannels: number;
  maxBufferedBytes: number;
}

export interface StreamRequest {
  channels: string[];
  cursor: Map<string, number>;
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
  const text = c.req.header('last-event-id') || c.req.query('cursor');
  if (!text) return ok({ channels, cursor: new Map() });
  const cursor = decodeCursor(text);
  if (!cursor.ok) return cursor;
  return ok({ channels, cursor: cursor.value.positions });
}
