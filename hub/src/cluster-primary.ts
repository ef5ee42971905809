import cluster, { type Worker } from 'node:cluster';
import type { Config } from './config.js';
import type { Stops } from './serve-hub.js';

/** A worker that dies is started again after this long, so a crash loop does not spin. */
const RESPAWN_DELAY_MS = 1_000;

/**
 * HUB_WORKERS > 1: this process forks one hub per worker on the same port
 * (node:cluster hands out connections) and supervises them. The workers
 * share nothing but NATS, exactly like hubs on separate machines, and the
 * token secret, so a token is good on every one. Resolves with the port once
 * every worker listens.
 */
export function startWorkers(config: Config, servers: string, stops: Stops): Promise<number> {
  let stopping = false;
  const workers = new Map<number, Worker>();
  const listening = new Set<number>();
  const fork = (index: number) => {
    const worker = cluster.fork({
      NATS_URL: servers,
      HUB_WORKER_INDEX: String(index),
      HUB_JWT_SECRET: config.jwtSecret,
      HUB_DEMO: '0',
    });
    workers.set(index, worker);
    worker.once('exit', (code, signal) => {
      workers.delete(index);
      if (stopping) return;
      console.error(`[pulse] worker ${index} exited (${signal ?? code}); starting it again`);
      setTimeout(() => fork(index), RESPAWN_DELAY_MS);
    });
    return worker;
  };
  stops.push(async () => {
    stopping = true;
    await Promise.all(
      [...workers.values()].map(
        (w) =>
          new Promise<void>((done) => {
            w.once('exit', () => done());
            w.process.kill('SIGTERM');
          }),
      ),
    );
  });
  return new Promise((resolve) => {
    for (let i = 0; i < config.workers; i++) {
      fork(i).on('listening', (address) => {
        listening.add(i);
        if (listening.size === config.workers) resolve(address.port);
      });
    }
  });
}
