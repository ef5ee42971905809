import { createServer } from 'node:net';
import { connect, type NatsConnection } from 'nats';
import { startTestNats, TEST_PASSWORDS } from '@pulse/hub/testing';
import { roomSubject } from '@pulse/hub/protocol';
import { ClientPool } from './client-pool.js';
import { publishRun } from './publisher.js';
import { launchServer, type RunningServer, type ServerKind } from './servers/launch.js';

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
/** Longest a storm may take before the clients still out are reported as such. */
const STORM_TIMEOUT_MS = 90_000;
/** Room messages a second while the server restarts: the hub's clients must get every one. */
const RATE = 5;

export interface StormResult {
  server: ServerKind;
  clients: number;
  connected: number;
  /** From the stop of the server to every client subscribed again (or the timeout). */
  seconds: number;
  /** Of which the server took this long to stop and listen again. */
  restartSeconds: number;
  back: number;
  /** Messages published through the storm, and those some client missed (counted for the hub only: a bare relay keeps nothing). */
  published: number;
  lost: number | null;
  duplicated: number | null;
}

/**
 * A reconnect storm: `clients` connected and subscribed to one room, the
 * server stopped and started again on the same port while the room goes on,
 * and the time until every client has reconnected and subscribed again by
 * itself. The hub's clients are the client library (it resumes from its last
 * seq, so nothing may be lost); the baseline's reconnect after the same
 * backoff.
 */
export async function reconnectStorm(
  server: ServerKind,
  o: { nats: { url: string; user: string; pass: string }; publisher: NatsConnection; clients: number; loadWorkers: number; log: (l: string) => void; progress: (l: string) => void },
): Promise<StormResult> {
  const room = `storm${Date.now().toString(36)}`;
  const subject = roomSubject(room, 'events');
  const port = await freePort();
  const start = () => launchServer(server, o.nats, subject, { PORT: String(port) });
  let running: RunningServer | undefined = await start();
  const pool = ClientPool.start(o.loadWorkers);
  try {
    await sleep(2_000);
    const target = server === 'hub' ? 'pulse-client' : 'bare-ws-reconnecting';
    const c = await pool.connect(target, running.url, `room:${room}`, o.clients, (up) => o.progress(`[storm ${server}] connecting ${up}/${o.clients}`));
    o.log(`[storm ${server}] ${c.connected} clients connected${c.failed ? `, ${c.failed} failed (${c.firstError})` : ''}`);
    await sleep(2_000);

    pool.startRun(1);
    let publishing = true;
    let published = 0;
    const feed = (async () => {
      while (publishing) published += await publishRun(o.publisher, subject, 1, RATE, 1, published);
    })();
    await sleep(1_000);

    pool.mark();
    const stopped = Date.now();
    await running.stop();
    running = undefined;
    const stopSeconds = (Date.now() - stopped) / 1000;
    running = await start();
    const restartSeconds = (Date.now() - stopped) / 1000;
    let back = 0;
    while (Date.now() - stopped < STORM_TIMEOUT_MS) {
      back = await pool.countBack();
      o.progress(`[storm ${server}] ${back}/${c.connected} back after ${((Date.now() - stopped) / 1000).toFixed(1)} s`);
      if (back >= c.connected) break;
      await sleep(100);
    }
    const seconds = (Date.now() - stopped) / 1000;
    o.log(`[storm ${server}] ${back}/${c.connected} back ${seconds.toFixed(2)} s after the stop (stopped in ${stopSeconds.toFixed(2)} s, listening again after ${restartSeconds.toFixed(2)} s)`);

    await sleep(1_000);
    publishing = false;
    await feed;
    await sleep(2_000);
    const r = await pool.report(published);
    return {
      server,
      clients: o.clients,
      connected: c.connected,
      seconds: round(seconds),
      restartSeconds: round(restartSeconds),
      back,
      published,
      lost: server === 'hub' ? r.lost : null,
      duplicated: server === 'hub' ? r.duplicated : null,
    };
  } finally {
    await pool.close();
    await running?.stop();
  }
}

function round(n: number): number {
  return Math.round(n * 100) / 100;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
    s.on('error', reject);
  });
}

export interface StormPair {
  hub: StormResult;
  bareWs: StormResult;
  /** Hub over bare ws, each from its stop to every client back. */
  ratio: number;
  lost: number;
  duplicated: number;
}

/** The hub's storm, then bare ws's, each on a fresh nats-server. */
export async function stormPair(o: { clients: number; loadWorkers: number; log: (l: string) => void; progress: (l: string) => void }): Promise<StormPair> {
  const one = async (server: ServerKind) => {
    const nats = await startTestNats();
    const publisher = await connect({ servers: nats.url, user: 'game', pass: TEST_PASSWORDS.game, name: 'pulse-storm-publisher' });
    try {
      return await reconnectStorm(server, { ...o, nats: { url: nats.url, user: 'hub', pass: TEST_PASSWORDS.hub }, publisher });
    } finally {
      await publisher.close();
      await nats.stop();
    }
  };
  const hub = await one('hub');
  const bareWs = await one('bare-ws');
  return { hub, bareWs, ratio: round(hub.seconds / bareWs.seconds), lost: hub.lost ?? 0, duplicated: hub.duplicated ?? 0 };
}
