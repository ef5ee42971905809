import { Hono } from 'hono';
import { createNodeWebSocket } from '@hono/node-ws';
import type { Hub } from './hub.js';
import { Identity } from './auth/identity.js';
import { apiRoutes } from './http/api.js';
import { authenticate, type AuthEnv } from './http/auth.js';
import { dashboardRoutes } from './http/dashboard.js';
import { errorResponse } from './http/errors.js';
import { opsRoutes } from './http/ops.js';
import { limitWsPayload, wsRoute } from './transports/ws.js';

/** The HTTP surface of PROTOCOL.md over one Hub. */
export function createApp(hub: Hub) {
  const identity = new Identity({ secret: hub.config.jwtSecret, allowAnonymous: hub.config.allowAnonymous });
  const app = new Hono<AuthEnv>();
  const nodeWs = createNodeWebSocket({ app });
  limitWsPayload(nodeWs.wss);

  app.route('/', opsRoutes(hub));
  app.get('/ws', authenticate(identity), wsRoute(nodeWs.upgradeWebSocket, hub.sessions, hub.config.maxBufferedBytes));
  app.route('/api', apiRoutes(hub, identity));
  app.all('/api/*', (c) => errorResponse(c, { code: 'not_found', message: `no route ${c.req.method} ${c.req.path}` }));
  app.route('/', dashboardRoutes(hub.config.dashboardDir));
  app.onError((err, c) => {
    hub.log.warn('http', `${c.req.method} ${c.req.path} failed: ${err instanceof Error ? err.message : String(err)}`);
    return errorResponse(c, { code: 'overloaded', message: 'the hub could not answer this request; try again' });
  });

  return { app, injectWebSocket: nodeWs.injectWebSocket, identity };
}
