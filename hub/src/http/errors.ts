import type { Context } from 'hono';
import { httpStatusOf, type HttpErrorBody, type PulseError } from '../protocol/index.js';

/** Every HTTP error leaves through here: `{"error":{"code","message"}}` with the code's status. */
export function errorResponse(c: Context, error: PulseError): Response {
  return c.json({ error: { code: error.code, message: error.message } } satisfies HttpErrorBody, httpStatusOf(error.code));
}
