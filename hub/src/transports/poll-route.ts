import type { MiddlewareHandler } from 'hono';
import type { AuthEnv } from '../http/auth.js';
import { errorResponse } from '../http/errors.js';
import type { Session } from '../session/session.js';
import type { SessionTable } from '../session/session-table.js';
import { PollTransport } from './poll.js';
import { readStreamRequest, type StreamLimits } from './stream-request.js';
import { ownsSession } from './session-owner.js';

/**
 * `GET /api/poll`: without `session`, opens a poll session (resuming from
 * `cursor` where given) and answers at once with its welcome; with it, waits
 * for that session's next frames.
 */
export function pollRoute(sessions: SessionTable, limits: StreamLimits): MiddlewareHandler<AuthEnv> {
  const polls = new Map<string, PollTransport>();

  return async (c) => {
    const id = c.req.query('session');
    let transport: PollTransport | undefined;
    if (id) {
      const session = sessions.get(id);
      transport = polls.get(id);
      if (!session || !transport) {
        return sessions.hasEnded(id)
          ? c.json({ error: { code: 'not_found', message: 'this poll session has ended; start a new one with your cursor' } }, 410)
          : errorResponse(c, { code: 'not_found', message: 'no such poll session on this hub; start a new one with your cursor' });
      }
      if (!ownsSession(c.get('user'), session)) return errorResponse(c, { code: 'forbidden', message: 'this session belongs to another user' });
    } else {
      const request = readStreamRequest(c, limits.maxChannels);
      if (!request.ok) return errorResponse(c, request.error);
      const refused = sessions.admit(c.get('user'));
      if (refused) return errorResponse(c, refused);
      const session: Session = sessions.open(
        c.get('user'),
        (handle) =>
          (transport = new PollTransport(handle, limits.maxBufferedBytes, () => {
            polls.delete(handle.id);
            sessions.close(session);
          })),
        c.get('expiresAt'),
      );
      polls.set(session.id, transport!);
      session.subscribeAll(request.value.channels, request.value.cursor);
    }
    const answer = await transport!.poll(c.req.raw.signal);
    return c.body(answer.body, 200, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' });
  };
}
