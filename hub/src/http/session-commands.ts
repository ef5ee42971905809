import type { MiddlewareHandler } from 'hono';
import { MAX_FRAME_BYTES } from '../protocol/index.js';
import type { SessionTable } from '../session/session-table.js';
import { ownsSession } from '../transports/session-owner.js';
import type { AuthEnv } from './auth.js';
import { errorResponse, sessionEndedResponse } from './errors.js';

/** Frames per command request: enough for a resubscribe of every channel at once. */
export const MAX_COMMANDS_PER_REQUEST = 256;
export const MAX_COMMAND_BODY_BYTES = 4 * MAX_FRAME_BYTES;

/**
 * `POST /api/sessions/<id>`: client frames for an SSE or poll session. The
 * replies (acks, errors, subscribed) arrive on the session's stream.
 */
export function sessionCommands(sessions: SessionTable): MiddlewareHandler<AuthEnv> {
  return async (c) => {
    const id = c.req.param('id') ?? '';
    const session = sessions.get(id);
    if (!session) {
      if (sessions.hasEnded(id)) return sessionEndedResponse(c, 'this session has ended');
      return errorResponse(c, { code: 'not_found', message: 'no such session on this hub' });
    }
    if (!ownsSession(c.get('user'), session)) return errorResponse(c, { code: 'forbidden', message: 'this session belongs to another user' });
    // At most MAX_COMMAND_BODY_BYTES: requestBodyLimit refuses more before this reads it.
    const text = await c.req.text();
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      return errorResponse(c, { code: 'bad_request', message: 'body must be one client frame or an array of them, as JSON' });
    }
    const frames = Array.isArray(body) ? body : [body];
    if (frames.length > MAX_COMMANDS_PER_REQUEST) return errorResponse(c, { code: 'too_large', message: `at most ${MAX_COMMANDS_PER_REQUEST} frames per request` });
    session.receiveFrames(frames, Buffer.byteLength(text));
    return c.json({ ok: true, frames: frames.length }, 202);
  };
}
