import type { Context } from 'hono';
import type { ThrottledLog } from '../stats/throttled-log.js';
import { errorResponse } from './errors.js';

/**
 * What a request that failed inside the hub gets: a contract error, and one
 * log line. The line names the route's pattern (`/api/sessions/:id`), never
 * the path: for an anonymous session the id in the path is its credential,
 * and a path may carry anything a client put there, tokens included.
 */
export function internalError(log: Pick<ThrottledLog, 'warn'>) {
  return (err: Error, c: Context): Response => {
    log.warn('http', `${c.req.method} ${c.req.routePath} failed: ${err.message}`);
    return errorResponse(c, { code: 'overloaded', message: 'the hub could not answer this request; try again' });
  };
}
