// `npm run cluster`: Pulse as a deployment runs it, on loopback. Three
// nats-servers routed into one cluster with JetStream at R3, two hubs, and
// HAProxy in front of them on one port (deploy/haproxy.cfg,
// deploy/nats-cluster.conf). Prepares what is missing first, HAProxy
// included; prints each part's URL as it comes up. Ctrl-C stops everything.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { ensure, ROOT, SetupError, stopCurrentStep } from './ensure.mjs';

const port = (name, fallback) => {
  const n = Number(process.env[name] ?? fallback);
  if (!Number.isInteger(n) || n < 1 || n > 65533) {
    console.error(`[pulse] ${name}=${process.env[name]} must be a port from 1 to 65533`);
    process.exit(2);
  }
  return n;
};

let cluster;
let stopping = false;
const stop = async (signal) => {
  if (stopping) return;
  stopping = true;
  if (!cluster) {
    stopCurrentStep(signal);
    process.exit(130);
  }
  console.log('[pulse] stopping the balancer, the hubs, then the NATS nodes…');
  await cluster.stop();
  process.exit(0);
};
process.on('SIGINT', () => void stop('SIGINT'));
process.on('SIGTERM', () => void stop('SIGTERM'));

try {
  await ensure({ forCluster: true });
} catch (err) {
  console.error(`[pulse] ${err instanceof SetupError ? err.message : err.stack}`);
  process.exit(1);
}

const web = port('PORT', 8080);
const nats = port('NATS_PORT', 4222);
const routes = port('NATS_CLUSTER_PORT', 6222);
const dir = join(ROOT, '.data/cluster');
mkdirSync(dir, { recursive: true });
// Both hubs must sign and check tokens with one secret; kept so that tokens outlive a restart.
const secretFile = join(dir, 'jwt-secret');
if (!process.env.HUB_JWT_SECRET && !existsSync(secretFile)) writeFileSync(secretFile, randomBytes(32).toString('base64url'), { mode: 0o600 });
const jwtSecret = process.env.HUB_JWT_SECRET || readFileSync(secretFile, 'utf8').trim();

const { register } = await import('tsx/esm/api');
register();
const { startLocalCluster } = await import('../hub/src/testing/local-cluster.ts');

const env = process.env;
try {
  cluster = await startLocalCluster({
    dir,
    jwtSecret,
    passwords: {
      hub: env.NATS_HUB_PASSWORD || 'hub',
      service: env.NATS_SERVICE_PASSWORD || 'service',
      game: env.NATS_GAME_PASSWORD || 'game',
      observer: env.NATS_OBSERVER_PASSWORD || 'observer',
    },
    ports: { balancer: web, hubs: [web + 1, web + 2], nats: [nats, nats + 1, nats + 2], routes: [routes, routes + 1, routes + 2] },
    demo: (env.HUB_DEMO ?? '1') !== '0',
    ownProcessGroups: true,
    // NATS nodes are chatty about routes and elections; their warnings and errors are what matter here,
    // less the routes refused while the nodes start together and advisories for a system account Pulse has no use for.
    log: (from, line) => {
      if (from.startsWith('nats') && (!/\[(WRN|ERR|FTL)\]/.test(line) || /connect to route \(attempt [1-5]\)|Waiting for routing|system account not setup/.test(line))) return;
      console.log(`[${from}] ${line}`);
    },
    ready: (m) => console.log(`[pulse] ${m.name.padEnd(8)} ${m.url}${m.name === 'balancer' ? '   <- open this' : ''}`),
  });
} catch (err) {
  console.error(`[pulse] the cluster did not start: ${err.message}`);
  process.exit(1);
}
console.log(`\n  Pulse cluster is running: open ${cluster.url}\n  (Ctrl-C stops the balancer, both hubs and the three NATS nodes)\n`);
