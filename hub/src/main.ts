import cluster from 'node:cluster';
import { resolve } from 'node:path';
import { startEmbeddedNats } from './bus/embedded-nats.js';
import { startWorkers } from './cluster-primary.js';
import { ConfigError, PROJECT_ROOT, loadConfig, type Config } from './config.js';
import { GameServer, DEMO_ROOM } from './demo/game-server.js';
import { RoomBots } from './demo/room-bots.js';
import { ThrottledLog } from './stats/throttled-log.js';
import { DemoMetricFeed } from './demo/metric-feed.js';
import { serveHub, type Stops } from './serve-hub.js';

/** Hard stop if a clean shutdown hangs: Ctrl-C must always end the hub within 5 s of its drain (HUB_DRAIN_MS, at most 5 s). */
const SHUTDOWN_DEADLINE_MS = 4_000;

async function main(): Promise<void> {
  const config = loadConfig();
  const worker = cluster.isWorker;
  if (config.jwtSecretGenerated && !worker) {
    console.warn('[pulse] HUB_JWT_SECRET is unset: using a random secret, so tokens will not survive a restart of the hub');
  }

  const stops: Stops = [];
  let stopping = false;
  const shutdown = async (code: number) => {
    if (stopping) return;
    stopping = true;
    setTimeout(() => process.exit(code), config.drainMs + SHUTDOWN_DEADLINE_MS).unref();
    for (const stop of stops.reverse()) await stop().catch((err: unknown) => console.error('[pulse] shutdown step failed:', err));
    process.exit(code);
  };
  // `on`, not `once`: a Ctrl-C reaches the hub twice (from the terminal and from
  // scripts/start.mjs), and a second signal must not kill it before nats-server is stopped.
  process.on('SIGINT', () => void shutdown(0));
  process.on('SIGTERM', () => void shutdown(0));

  const servers = config.natsUrl ?? (await startNats(config, stops));

  if (worker) {
    await serveHub(config, servers, stops);
    return;
  }
  const port = config.workers > 1 ? await startWorkers(config, servers, stops) : await serveHub(config, servers, stops);
  console.log(`[pulse] hub listening on http://${config.host}:${port}${config.workers > 1 ? ` (${config.workers} workers)` : ''}`);
  if (config.demo) await startDemo(config, servers, stops);
}

async function startNats(config: Config, stops: Stops): Promise<string> {
  const nats = await startEmbeddedNats({
    configFile: resolve(PROJECT_ROOT, 'nats.conf'),
    storeDir: config.natsStoreDir,
    port: config.natsPort,
    passwords: config.natsPasswords,
    pidFile: resolve(config.natsStoreDir, '..', 'nats-server.pid'),
    ownProcessGroup: true,
  });
  stops.push(() => nats.stop());
  console.log(`[pulse] nats-server started on ${nats.url} (pid ${nats.pid}, data in ${config.natsStoreDir})`);
  return nats.url;
}

async function startDemo(config: Config, servers: string, stops: Stops): Promise<void> {
  const feed = await DemoMetricFeed.start({ servers, password: config.natsPasswords.service });
  stops.push(() => feed.stop());
  console.log('[pulse] demo metric feed publishing as NATS user "service"');
  const log = new ThrottledLog(10_000);
  const game = await GameServer.start({
    servers,
    password: config.natsPasswords.game,
    onRefused: (reason, room, detail) => log.warn(`demo-input-${reason}`, `an input to room:${room} was dropped: ${detail}`),
  });
  stops.push(() => game.stop());
  const bots = await RoomBots.start({ servers, password: config.natsPasswords.hub, room: DEMO_ROOM });
  stops.push(() => bots.stop());
  console.log(`[pulse] demo game server running every room's game as NATS user "game", with ${bots.bots} bots in room:${DEMO_ROOM}`);
}

main().catch((err: unknown) => {
  if (err instanceof ConfigError || (err instanceof Error && 'code' in err && err.code === 'nats_server_missing')) {
    console.error(`[pulse] ${err.message}`);
  } else {
    console.error('[pulse] failed to start:', err);
  }
  process.exit(1);
});
