import type { Context } from 'hono';
import { httpStatusOf, SESSION_ENDED_STATUS, type HttpErrorBody, type PulseError } from '../protocol/index.js';

/** Every HTTP error leaves through here: `{"error":{"code","message"}}` with the code's status. */
export function errorResponse(c: Context, error: PulseError): Response {
  return c.json({ error: { code: error.code, message: error.message } } satisfies HttpErrorBody, httpStatusOf(error.code));
}

/** A session that existed here and has ended: `not_found`, with its own status. */
export function sessionEndedResponse(c: Context, message: string): Response {
  return c.json({ error: { code: 'not_found', message } } satisfies HttpErrorBody, SESSION_ENDED_STATUS);
}
