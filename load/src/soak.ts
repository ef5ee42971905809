import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, StringCodec, type JetStreamClient, type NatsConnection } from 'nats';
import WebSocket from 'ws';
import { PulseClient, type WebSocketLike } from '@pulse/hub/client';
import { metricsSubject, roomSubject } from '@pulse/hub/protocol';
import { startLocalCluster, TEST_JWT_SECRET, TEST_PASSWORDS, testToken, type ClusterMember, type LocalCluster } from '@pulse/hub/testing';
import { ClientPool } from './client-pool.js';
import { Histogram } from './histogram.js';
import { clockMs, probePayload } from './probe.js';
import { rssBytes } from './proc-stats.js';
import type { Target } from './workers/targets.js';

const sc = StringCodec();
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** How long a killed process stays down before it is started again. */
const DOWN_MS = 5_000;
/** After the last publish, how long the viewers get to catch up before they are counted. */
const SETTLE_MS = 20_000;
const MEMORY_EVERY_MS = 10_000;
/** Lines kept of what each process printed. */
const RECENT_LINES = 40;
const VIEWER_TARGETS: readonly Target[] = ['pulse-client', 'pulse-client-sse', 'pulse-client-poll'];
const TRANSPORT_OF: Partial<Record<Target, string>> = { 'pulse-client': 'ws', 'pulse-client-sse': 'sse', 'pulse-client-poll': 'poll' };

export interface SoakOptions {
  minutes: number;
  /** Viewers of the counted room, spread evenly over ws, sse and poll. */
  viewers: number;
  /** Players of the demo room sending inputs. */
  players: number;
  /** Room events a second, each published with a JetStream ack and retried until stored. */
  rate: number;
  /** Seconds between faults; each kills one process, alternating hubs and NATS nodes. */
  killEvery: number;
  loadWorkers: number;
  log(line: string): void;
  progress(line: string): void;
}

interface Outages {
  count: number;
  p50: number;
  p99: number;
  max: number;
}

export interface SoakResult {
  scenario: 'soak';
  minutes: number;
  viewers: number;
  players: number;
  rate: number;
  killEvery: number;
  published: number;
  /** Publishes JetStream did not acknowledge at first and that were sent again (the same message id, stored once). */
  republished: number;
  lost: number;
  duplicated: number;
  /** Clients that missed or repeated messages, worst first: their transport and where they stood. */
  worst: Array<{ target: string; received: number; duplicated: number; lastIndex: number; open: boolean }>;
  faults: Array<{ at: number; kind: 'kill'; member: string; downSeconds: number }>;
  /** From a client losing its connection to its channel subscribed again: all, and by transport. */
  reconnectMs: Outages;
  reconnectMsByTransport?: Record<string, Outages>;
  latencyMs: { p50: number; p99: number; max: number };
  inputs: { sent: number; acked: number; refused: number };
  metricSamples: number;
  /** Resident memory of each process, sampled every 10 s: [seconds since start, MB]. */
  memory: Record<string, Array<[number, number]>>;
}

/**
 * Viewers, players and publishers kept running against a local cluster (three
 * NATS nodes, two hubs, HAProxy: what `npm run cluster` runs) while a hub or a
 * NATS node is killed and restarted on a schedule. Every room event is counted
 * by every viewer: the result says what was lost or repeated, how long clients
 * took to come back, and how memory moved.
 */
export async function soak(o: SoakOptions): Promise<SoakResult> {
  const dir = mkdtempSync(join(tmpdir(), 'pulse-soak-'));
  o.log('starting the cluster: three nats-servers, two hubs, HAProxy…');
  // The last lines each process printed: what a loss or a dead process needs to be explained.
  const recent = new Map<string, string[]>();
  const cluster = await startLocalCluster({
    dir,
    log: (from, line) => {
      const lines = recent.get(from) ?? [];
      lines.push(`${new Date().toISOString().slice(11, 23)} ${line}`);
      if (lines.length > RECENT_LINES) lines.shift();
      recent.set(from, lines);
    },
    passwords: TEST_PASSWORDS,
    jwtSecret: TEST_JWT_SECRET,
    demo: true,
    // Every simulated viewer comes from this machine's one address.
    hubEnv: { HUB_MAX_POLL_SESSIONS_PER_IP: '1000000' },
  });
  const pool = ClientPool.start(o.loadWorkers);
  const stopping: Array<() => Promise<unknown>> = [];
  try {
    o.log(`cluster up at ${cluster.url}`);
    const room = `soak${Date.now().toString(36)}`;
    const perTarget = VIEWER_TARGETS.map((_, i) => Math.floor(o.viewers / VIEWER_TARGETS.length) + (i < o.viewers % VIEWER_TARGETS.length ? 1 : 0));
    for (const [i, target] of VIEWER_TARGETS.entries()) {
      const c = await pool.connect(target, cluster.url, `room:${room}`, perTarget[i]!, (up) => o.progress(`connecting ${target}: ${up}/${perTarget[i]}`));
      o.log(`${c.connected} ${target} viewers connected${c.failed ? `, ${c.failed} failed (${c.firstError})` : ''}`);
    }
    const game = await connect({ servers: cluster.natsServers.split(','), user: 'game', pass: TEST_PASSWORDS.game, inboxPrefix: '_INBOX_game', name: 'soak-game' });
    stopping.push(() => game.close());
    const service = await connect({ servers: cluster.natsServers.split(','), user: 'service', pass: TEST_PASSWORDS.service, name: 'soak-service' });
    stopping.push(() => service.close());
    const players = await startPlayers(cluster.url, o.players);
    stopping.push(async () => players.stop());

    pool.startRun(1);
    const started = Date.now();
    const until = started + o.minutes * 60_000;
    const memory: SoakResult['memory'] = {};
    const sampleMemory = () => {
      for (const m of [...cluster.nats, ...cluster.hubs]) {
        if (m.pid === undefined) continue;
        const mb = Math.round((rssBytes(m.pid) / 1024 / 1024) * 10) / 10;
        if (mb > 0) (memory[m.name] ??= []).push([Math.round((Date.now() - started) / 1000), mb]);
      }
    };
    sampleMemory();
    const memoryTimer = setInterval(sampleMemory, MEMORY_EVERY_MS);
    const publisher = publishUntil(game.jetstream(), roomSubject(room, 'events'), o.rate, until);
    const samples = sampleUntil(service, until);
    const faults = await faultsUntil(cluster, o.killEvery, until, started, o);
    const { published, republished } = await publisher;
    const metricSamples = await samples;
    clearInterval(memoryTimer);

    o.log(`published ${published} events (${republished} sent again after an unacknowledged publish); letting the viewers catch up…`);
    await sleep(SETTLE_MS);
    sampleMemory();
    const report = await pool.report(published);
    if (report.lost > 0) o.log(await whereLost(cluster, `room:${room}`, recent));
    const outages = new Histogram();
    const byTarget = new Map<Target, Histogram>();
    for (const [target, ms] of await pool.outages()) {
      outages.record(ms);
      if (!byTarget.has(target)) byTarget.set(target, new Histogram());
      byTarget.get(target)!.record(ms);
    }
    const round = (n: number) => Math.round(n);
    const summary = (h: Histogram): Outages => ({ count: h.total, p50: round(h.quantile(0.5)), p99: round(h.quantile(0.99)), max: round(h.max) });
    return {
      scenario: 'soak',
      minutes: o.minutes,
      viewers: o.viewers,
      players: o.players,
      rate: o.rate,
      killEvery: o.killEvery,
      published,
      republished,
      lost: report.lost,
      duplicated: report.duplicated,
      worst: report.worst,
      faults,
      reconnectMs: summary(outages),
      reconnectMsByTransport: Object.fromEntries([...byTarget].map(([target, h]) => [TRANSPORT_OF[target] ?? target, summary(h)])),
      latencyMs: { p50: round(report.latency.quantile(0.5)), p99: round(report.latency.quantile(0.99)), max: round(report.latency.max) },
      inputs: players.counts(),
      metricSamples,
      memory,
    };
  } finally {
    for (const stop of stopping.reverse()) await stop().catch(() => undefined);
    await pool.close();
    await cluster.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Room events at `rate` a second until `until`, each stored with a JetStream
 * ack: a publish that is not acknowledged (its NATS node died, the stream is
 * electing a leader) is sent again with the same message id, which the
 * stream's duplicate window stores once. So every index is stored exactly
 * once, and a viewer that misses one lost it in Pulse.
 */
async function publishUntil(js: JetStreamClient, subject: string, rate: number, until: number): Promise<{ published: number; republished: number }> {
  let published = 0;
  let republished = 0;
  const start = Date.now();
  while (Date.now() < until) {
    const due = Math.floor(((Date.now() - start) / 1000) * rate);
    while (published < due) {
      const i = published;
      const payload = sc.encode(probePayload({ r: 1, i, t: clockMs() }));
      for (let attempt = 0; ; attempt++) {
        try {
          await js.publish(subject, payload, { msgID: `soak-${i}`, timeout: 2_000 });
          break;
        } catch {
          republished++;
          await sleep(Math.min(1_000, 100 * 2 ** attempt));
        }
      }
      published++;
    }
    await sleep(10);
  }
  return { published, republished };
}

/** Metric samples over core NATS (the way services publish them) for a few series, ten a second. */
async function sampleUntil(service: NatsConnection, until: number): Promise<number> {
  let sent = 0;
  while (Date.now() < until) {
    for (let s = 0; s < 5; s++) service.publish(metricsSubject(`soak.series${s}`), sc.encode(String(Math.random() * 100)));
    sent += 5;
    await sleep(100);
  }
  return sent;
}

/** Every `every` seconds until `until`, one member killed with SIGKILL and started again after DOWN_MS: hubs and NATS nodes by turns. */
async function faultsUntil(cluster: LocalCluster, every: number, until: number, started: number, o: Pick<SoakOptions, 'log' | 'progress'>): Promise<SoakResult['faults']> {
  const order: ClusterMember[] = [];
  for (let i = 0; i < Math.max(cluster.hubs.length, cluster.nats.length); i++) {
    if (cluster.hubs[i % cluster.hubs.length]) order.push(cluster.hubs[i % cluster.hubs.length]!);
    if (cluster.nats[i]) order.push(cluster.nats[i]!);
  }
  const faults: SoakResult['faults'] = [];
  for (let n = 0; ; n++) {
    const next = started + (n + 1) * every * 1000;
    while (Date.now() < Math.min(next, until)) {
      o.progress(`soak: ${Math.round((Date.now() - started) / 1000)} s of ${Math.round((until - started) / 1000)} s, ${faults.length} faults so far`);
      await sleep(1_000);
    }
    // No fault in the last stretch: its member would still be down when counting starts.
    if (next + DOWN_MS + 15_000 > until) break;
    const member = order[n % order.length]!;
    const at = Math.round((Date.now() - started) / 1000);
    o.log(`[${at} s] SIGKILL ${member.name}`);
    const down = Date.now();
    await member.kill();
    await sleep(DOWN_MS);
    await member.start();
    const downSeconds = Math.round((Date.now() - down) / 100) / 10;
    o.log(`[${Math.round((Date.now() - started) / 1000)} s] ${member.name} back after ${downSeconds} s`);
    faults.push({ at, kind: 'kill', member: member.name, downSeconds });
  }
  while (Date.now() < until) await sleep(500);
  return faults;
}

/** Players of the demo room, on the client library, each sending an input five times a second. */
async function startPlayers(url: string, count: number) {
  const counts = { sent: 0, acked: 0, refused: 0 };
  const clients: PulseClient[] = [];
  for (let i = 0; i < count; i++) {
    const token = await testToken('player', `soak-player-${i}`, `Soak ${i}`);
    const client = new PulseClient({ url, token, transports: ['ws'], webSocket: (u) => new WebSocket(u, { perMessageDeflate: false }) as unknown as WebSocketLike });
    client.subscribe('room:demo', () => undefined);
    clients.push(client);
  }
  const timer = setInterval(() => {
    for (const client of clients) {
      counts.sent++;
      client.publish('room:demo', { kind: 'input', input: { dx: Math.random() * 2 - 1, dy: Math.random() * 2 - 1 } }).then(
        () => counts.acked++,
        () => counts.refused++,
      );
    }
  }, 200);
  return {
    counts: () => ({ ...counts }),
    stop: () => {
      clearInterval(timer);
      for (const c of clients) c.close();
    },
  };
}

/** What a loss needs to be explained: the newest stored events, each hub's view of its live feeds, and what each hub printed last. */
async function whereLost(cluster: LocalCluster, ch: string, recent: Map<string, string[]>): Promise<string> {
  const lines: string[] = [];
  try {
    const res = await fetch(`${cluster.url}/api/history?${new URLSearchParams({ ch, limit: '5' })}`);
    const stored = ((await res.json()) as { messages: Array<{ seq: number; data: unknown }> }).messages;
    lines.push(`newest stored: ${stored.map((m) => `seq ${m.seq} ${JSON.stringify(m.data).slice(0, 80)}`).join('; ')}`);
  } catch (err) {
    lines.push(`history unavailable: ${String(err)}`);
  }
  for (const hub of cluster.hubs) {
    try {
      const text = await (await fetch(`${hub.url}/metrics`)).text();
      const figures = text.split('\n').filter((l) => /^pulse_(live_feed_pending_messages|live_feed_restarts_total|channel_messages_total|sessions\{)/.test(l));
      lines.push(`${hub.name} (pid ${hub.pid}): ${figures.join(', ')}`);
    } catch (err) {
      lines.push(`${hub.name} (pid ${hub.pid}) does not answer: ${String(err)}`);
    }
    lines.push(...(recent.get(hub.name) ?? []).map((l) => `  ${hub.name}| ${l}`));
  }
  return lines.join('\n');
}
