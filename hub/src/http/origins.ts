import type { MiddlewareHandler } from 'hono';
import { errorResponse } from './errors.js';

/**
 * Browsers send `Origin` on cross-site requests and WebSocket upgrades. The
 * hub's own origin and those in HUB_CORS_ORIGINS pass (the latter with CORS
 * headers); any other is refused with 403, which stops cross-site WebSocket
 * hijacking. Requests without `Origin` (services, curl) are not browsers'
 * cross-site requests and pass.
 */
export function originGuard(allowed: readonly string[]): MiddlewareHandler {
  const any = allowed.includes('*');
  return async (c, next) => {
    const origin = c.req.header('origin');
    if (!origin || isSameOrigin(origin, c.req.header('host'))) return next();
    if (!any && !allowed.includes(origin)) {
      return errorResponse(c, { code: 'forbidden', message: `origin ${origin.slice(0, 100)} is not allowed (HUB_CORS_ORIGINS)` });
    }
    c.header('access-control-allow-origin', origin);
    c.header('vary', 'Origin');
    if (c.req.method === 'OPTIONS') {
      c.header('access-control-allow-methods', 'GET, POST, OPTIONS');
      c.header('access-control-allow-headers', 'authorization, content-type, last-event-id');
      c.header('access-control-max-age', '600');
      return c.body(null, 204);
    }
    return next();
  };
}

function isSameOrigin(origin: string, host: string | undefined): boolean {
  try {
    return host !== undefined && new URL(origin).host === host;
  } catch {
    return false;
  }
}
