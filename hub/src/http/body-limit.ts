import type { MiddlewareHandler } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { MAX_COMMAND_BODY_BYTES } from './session-commands.js';
import { errorResponse } from './errors.js';

/** A batch of line protocol or JSON samples: NATS's own message limit, so HTTP and ingest.influx take the same batches. */
export const MAX_INGEST_BODY_BYTES = 1024 * 1024;

/** A POST route's body limit, by path prefix; the longest matching prefix wins. */
const ROUTE_LIMITS: ReadonlyArray<[prefix: string, bytes: number]> = [
  ['/api/sessions/', MAX_COMMAND_BODY_BYTES],
  ['/api/login', 4 * 1024],
  ['/api/ingest', MAX_INGEST_BODY_BYTES],
];
/** Any other POST, including routes added later that do not say. */
export const DEFAULT_MAX_BODY_BYTES = 16 * 1024;

export function maxBodyBytes(path: string): number {
  let best: [string, number] | undefined;
  for (const entry of ROUTE_LIMITS) if (path.startsWith(entry[0]) && (!best || entry[0].length > best[0].length)) best = entry;
  return best?.[1] ?? DEFAULT_MAX_BODY_BYTES;
}

/**
 * Every request body under the API is bounded before a handler reads it: a
 * declared length over the limit is refused at once, and a chunked body is
 * read only up to the limit, so a client cannot make the hub buffer more.
 * Either way the answer is 413 `too_large`.
 */
export function requestBodyLimit(onRefused: () => void): MiddlewareHandler {
  const limits = new Map<number, MiddlewareHandler>();
  const limitOf = (bytes: number) => {
    let limit = limits.get(bytes);
    if (!limit) {
      limit = bodyLimit({
        maxSize: bytes,
        onError: (c) => {
          onRefused();
          return errorResponse(c, { code: 'too_large', message: `a request body here is at most ${bytes} bytes` });
        },
      });
      limits.set(bytes, limit);
    }
    return limit;
  };
  return (c, next) => limitOf(maxBodyBytes(c.req.path))(c, next);
}
