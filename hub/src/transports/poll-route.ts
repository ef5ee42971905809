import type { MiddlewareHandler } from 'hono';
import type { AuthEnv } from '../http/auth.js';
import { errorResponse, sessionEndedResponse } from '../http/errors.js';
import { fail, ok, type Result } from '../protocol/index.js';
import { decodeCursor } from '../session/cursor.js';
import type { Session } from '../session/session.js';
import type { SessionTable } from '../session/session-table.js';
import { POLL_MIN_WAIT_MS, POLL_WAIT_MS, PollTransport } from './poll.js';
import { readStreamRequest, type StreamLimits } from './stream-request.js';
import { ownsSession } from './session-owner.js';
import { clientAddress } from '../http/client-address.js';

/**
 * `GET /api/poll`: without `session`, opens a poll session (resuming from
 * `cursor` where given) and answers at once with its welcome; with it, waits
 * for that session's next frames.
 */
/** `trustedProxies`: balancers whose `X-Forwarded-For` names the client counted against the per-address bound. */
export function pollRoute(sessions: SessionTable, limits: StreamLimits, trustedProxies: ReadonlySet<string>): MiddlewareHandler<AuthEnv> {
  const polls = new Map<string, PollTransport>();

  return async (c) => {
    const id = c.req.query('session');
    let transport: PollTransport | undefined;
    let acknowledged: number | undefined;
    const wait = waitOf(c.req.query('wait'));
    if (!wait.ok) return errorResponse(c, wait.error);
    if (id) {
      const session = sessions.get(id);
      transport = polls.get(id);
      if (!session || !transport) {
        return sessions.hasEnded(id)
          ? sessionEndedResponse(c, 'this poll session has ended; start a new one with your cursor')
          : errorResponse(c, { code: 'not_found', message: 'no such poll session on this hub; start a new one with your cursor' });
      }
      if (!ownsSession(c.get('user'), session)) return errorResponse(c, { code: 'forbidden', message: 'this session belongs to another user' });
      const ack = acknowledgement(c.req.query('cursor'), transport);
      if (!ack.ok) return errorResponse(c, ack.error);
      acknowledged = ack.value;
    } else {
      const request = readStreamRequest(c, limits.maxChannels);
      if (!request.ok) return errorResponse(c, request.error);
      const pollAddress = clientAddress(c.env.incoming?.socket?.remoteAddress, c.req.header('x-forwarded-for'), trustedProxies);
      const refused = sessions.admit(c.get('user'), pollAddress);
      if (refused) return errorResponse(c, refused);
      const session: Session = sessions.open(
        c.get('user'),
        (handle) =>
          (transport = new PollTransport(handle, limits.maxBufferedBytes, () => {
            polls.delete(handle.id);
            sessions.close(session);
          })),
        { expiresAt: c.get('expiresAt'), presenceDiff: request.value.presenceDiff, pollAddress },
      );
      polls.set(session.id, transport!);
      session.subscribeAll(request.value.channels, request.value.cursor);
    }
    const answer = await transport!.poll(c.req.raw.signal, acknowledged, wait.value);
    return c.body(answer.body, 200, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' });
  };
}

/** The answer a continuing poll's cursor acknowledges: the one it came with. */
function acknowledgement(text: string | undefined, transport: PollTransport): Result<number | undefined> {
  if (text === undefined) return ok(undefined);
  const cursor = decodeCursor(text);
  if (!cursor.ok) return cursor;
  const { answer } = cursor.value;
  if (answer === undefined) return fail('bad_request', 'this cursor is not from a poll answer: pass the cursor of the last answer received');
  if (!transport.knows(answer)) return fail('bad_request', 'this cursor is ahead of the session: pass the cursor of the last answer received');
  return ok(answer);
}

/** How long this poll may wait for frames: `wait` in ms, from POLL_MIN_WAIT_MS to POLL_WAIT_MS (the default). */
function waitOf(text: string | undefined): Result<number> {
  if (text === undefined) return ok(POLL_WAIT_MS);
  const ms = /^\d{1,6}$/.test(text) ? Number(text) : NaN;
  if (!(ms >= POLL_MIN_WAIT_MS && ms <= POLL_WAIT_MS)) return fail('bad_request', `wait must be a whole number of ms from ${POLL_MIN_WAIT_MS} to ${POLL_WAIT_MS}`);
  return ok(ms);
}
