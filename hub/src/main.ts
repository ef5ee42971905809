import { resolve } from 'node:path';
import { serve } from '@hono/node-server';
import type { NatsConnection } from 'nats';
import { createApp } from './app.js';
import { connectBus } from './bus/connect.js';
import { startEmbeddedNats, type EmbeddedNats } from './bus/embedded-nats.js';
import { ConfigError, PROJECT_ROOT, loadConfig } from './config.js';
import { DemoMetricFeed } from './demo/metric-feed.js';
import { DemoGameServer, DEMO_ROOM } from './demo/game-server.js';
import { Hub } from './hub.js';

/** Hard stop if a clean shutdown hangs: Ctrl-C must always end the hub within 5 s. */
const SHUTDOWN_DEADLINE_MS = 4_000;

async function main(): Promise<void> {
  const config = loadConfig();
  if (config.jwtSecretGenerated) {
    console.warn('[pulse] HUB_JWT_SECRET is unset: using a random secret, so tokens will not survive a restart of the hub');
  }

  const stops: Array<() => Promise<unknown>> = [];
  let stopping = false;
  const shutdown = async (code: number) => {
    if (stopping) return;
    stopping = true;
    setTimeout(() => process.exit(code), SHUTDOWN_DEADLINE_MS).unref();
    for (const stop of stops.reverse()) await stop().catch((err: unknown) => console.error('[pulse] shutdown step failed:', err));
    process.exit(code);
  };
  process.once('SIGINT', () => void shutdown(0));
  process.once('SIGTERM', () => void shutdown(0));

  let servers = config.natsUrl;
  let nats: EmbeddedNats | undefined;
  if (!servers) {
    nats = await startEmbeddedNats({
      configFile: resolve(PROJECT_ROOT, 'nats.conf'),
      storeDir: config.natsStoreDir,
      port: config.natsPort,
      passwords: config.natsPasswords,
      pidFile: resolve(config.natsStoreDir, '..', 'nats-server.pid'),
      ownProcessGroup: true,
    });
    stops.push(() => nats!.stop());
    servers = nats.url;
    console.log(`[pulse] nats-server started on ${nats.url} (pid ${nats.pid}, data in ${config.natsStoreDir})`);
  }

  const nc: NatsConnection = await connectBus({ servers, user: 'hub', password: config.natsPasswords.hub, name: 'pulse-hub' });
  stops.push(() => nc.drain());
  const hub = await Hub.start(nc, config);
  stops.push(() => hub.stop());

  const { app, injectWebSocket, stop: stopApp } = createApp(hub);
  stops.push(async () => stopApp());
  const server = await new Promise<ReturnType<typeof serve>>((ready, fail) => {
    const s = serve({ fetch: app.fetch, port: config.port, hostname: config.host }, () => ready(s));
    s.once('error', fail);
  });
  injectWebSocket(server);
  stops.push(
    () =>
      new Promise<void>((done) => {
        server.close(() => done());
        // Open SSE streams and WebSockets would keep close() waiting forever.
        if ('closeAllConnections' in server) server.closeAllConnections();
      }),
  );
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  console.log(`[pulse] hub listening on http://${config.host}:${port}`);

  if (config.demo) {
    const feed = await DemoMetricFeed.start({ servers, password: config.natsPasswords.service });
    stops.push(() => feed.stop());
    console.log('[pulse] demo metric feed publishing as NATS user "service"');
    const game = await DemoGameServer.start({ servers, password: config.natsPasswords.game });
    stops.push(() => game.stop());
    console.log(`[pulse] demo game server running room:${DEMO_ROOM} as NATS user "game"`);
  }
}

main().catch((err: unknown) => {
  if (err instanceof ConfigError || (err instanceof Error && 'code' in err && err.code === 'nats_server_missing')) {
    console.error(`[pulse] ${err.message}`);
  } else {
    console.error('[pulse] failed to start:', err);
  }
  process.exit(1);
});
