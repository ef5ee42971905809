import type { User } from './protocol/index.js';
import type { Server } from 'node:http';
import { Hono } from 'hono';
import type { Hub } from './hub.js';
import { apiRoutes } from './http/api.js';
import { presenceRoutes } from './http/presence-api.js';
import { authenticate, type AuthEnv } from './http/auth.js';
import { dashboardRoutes } from './http/dashboard.js';
import { errorResponse } from './http/errors.js';
import { internalError } from './http/internal-error.js';
import { opsRoutes } from './http/ops.js';
import { WsHeartbeat } from './transports/ws-heartbeat.js';
import { WsUpgrades } from './transports/ws-upgrade.js';
import { SseKeepalive, sseRoute } from './transports/sse.js';
import { pollRoute } from './transports/poll-route.js';
import { sessionCommands } from './http/session-commands.js';
import { SessionForwarding } from './http/session-forwarding.js';
import { ingestRoutes } from './http/ingest-api.js';
import { notificationRoutes } from './http/notifications-api.js';
import { alertRoutes } from './http/alerts-api.js';
import { DEMO_ALERT_RULE } from './demo/demo-alert.js';
import { loginRoute } from './http/login.js';
import { originGuard } from './http/origins.js';
import { requestBodyLimit } from './http/body-limit.js';

/** The HTTP surface of docs/protocol.md over one Hub. */
export function createApp(hub: Hub) {
  const { identity } = hub;
  const app = new Hono<AuthEnv>();

  app.route('/', opsRoutes(hub));
  const origins = originGuard(hub.config.corsOrigins, hub.config.publicOrigins);
  app.use('/ws', origins);
  app.use('/api/*', origins);
  app.use('/api/*', requestBodyLimit(() => hub.countLimit('body_size')));
  // The demo gives each person who signs in an alert that fires now and then.
  const demoAlert = (user: User) => void hub.alerts.create(user.id, DEMO_ALERT_RULE, Date.now()).catch((err: unknown) => hub.log.warn('demo-alert', String(err)));
  if (hub.config.allowAnonymous) app.route('/api/login', loginRoute(identity, hub.config.loginTokenTtlS, hub.config.demo ? demoAlert : undefined));
  const keepalive = new SseKeepalive();
  const heartbeat = new WsHeartbeat(hub.config.wsPingMs, () => hub.countLimit('ws_ping'));
  const auth = authenticate(identity);
  const streamLimits = { maxChannels: hub.config.limits.subscriptionsPerSession, maxBufferedBytes: hub.config.maxBufferedBytes };
  const upgrades = new WsUpgrades(app, hub.sessions, heartbeat, streamLimits, hub.yjs);
  app.get('/ws', auth, upgrades.route());
  app.get('/yjs/:name', auth, upgrades.yjsRoute());
  app.get('/api/sse', auth, sseRoute(hub.sessions, keepalive, streamLimits));
  const forwarded = (outcome: string) => hub.stats.counter('pulse_session_requests_forwarded_total', 'Poll and command requests forwarded to the hub process holding the session, by outcome', { outcome });
  const forwarding = new SessionForwarding(hub.nc, hub.sessions.processId, {
    forwarded: (outcome) => forwarded(outcome).inc(),
    failed: (err) => hub.log.warn('session-forwarding', `answering a forwarded request failed: ${String(err)}`),
  });
  hub.stats.gauge('pulse_session_requests_waiting', 'Requests this process forwarded that wait for the answer of the process holding the session', () => forwarding.waitingCount);
  app.get('/api/poll', auth, forwarding.route((c) => c.req.query('session')), pollRoute(hub.sessions, streamLimits, hub.config.trustedProxies));
  app.post('/api/sessions/:id', auth, forwarding.route((c) => c.req.param('id')), sessionCommands(hub.sessions));
  app.route('/api/presence', presenceRoutes(hub, identity));
  app.route('/api/ingest', ingestRoutes(hub, identity, hub.samples));
  app.route('/api/notifications', notificationRoutes(hub, identity, hub.inbox));
  app.route('/api/alerts', alertRoutes(hub, identity));
  app.route('/api', apiRoutes(hub, identity));
  app.all('/api/*', (c) => errorResponse(c, { code: 'not_found', message: `no route ${c.req.method} ${c.req.path}` }));
  app.route('/', dashboardRoutes(hub.config.dashboardDir));
  app.onError(internalError(hub.log));
  forwarding.serve(app);

  return {
    app,
    /** Hands the server's WebSocket upgrades to the app and ws; call right after serve(). */
    attach: (server: Server) => upgrades.attach(server, app),
    identity,
    stop: () => {
      forwarding.stop();
      keepalive.stop();
      heartbeat.stop();
      upgrades.close();
    },
  };
}
