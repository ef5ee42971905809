import { Hono } from 'hono';
import type { Hub } from '../hub.js';

/** `/healthz` for load balancers and `/metrics` for Prometheus. */
export function opsRoutes(hub: Hub): Hono {
  const ops = new Hono();
  ops.get('/healthz', (c) => {
    const nats = hub.bus.connected && !hub.nc.isClosed();
    // A stopping hub fails its check at once, so a balancer sends its new requests elsewhere.
    const draining = hub.sessions.isDraining;
    const ok = nats && !draining;
    return c.json({ ok, nats: nats ? 'connected' : 'disconnected', draining, sessions: hub.sessions.size }, ok ? 200 : 503);
  });
  ops.get('/metrics', (c) => c.body(hub.stats.render(), 200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' }));
  return ops;
}
