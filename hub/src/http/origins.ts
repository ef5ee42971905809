import type { MiddlewareHandler } from 'hono';
import { errorResponse } from './errors.js';

/**
 * Browsers send `Origin` on cross-site requests and WebSocket upgrades. The
 * hub's own origins (HUB_PUBLIC_URL) and those in HUB_CORS_ORIGINS pass (the
 * latter with CORS headers); any other is refused with 403, which stops
 * cross-site WebSocket hijacking. Requests without `Origin` (services, curl)
 * are not browsers' cross-site requests and pass.
 *
 * An origin that matches the `Host` header is the hub's own only when that
 * host is a loopback address (the `npm start` default). Anywhere else the
 * Host header proves nothing: a page on a name its owner rebinds to the
 * hub's address (DNS rebinding) sends a matching one.
 */
export function originGuard(allowed: readonly string[], publicOrigins: readonly string[]): MiddlewareHandler {
  const any = allowed.includes('*');
  return async (c, next) => {
    const origin = c.req.header('origin');
    if (!origin || publicOrigins.includes(origin) || isLoopbackSameOrigin(origin, c.req.header('host'))) return next();
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

export function isLoopbackSameOrigin(origin: string, host: string | undefined): boolean {
  try {
    const url = new URL(origin);
    return host !== undefined && url.host === host && isLoopback(url.hostname);
  } catch {
    return false;
  }
}

function isLoopback(hostname: string): boolean {
  return hostname === 'localhost' || hostname === '[::1]' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(hostname);
}
