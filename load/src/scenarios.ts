import { StringCodec } from 'nats';
import { ClientPool } from './client-pool.js';
import { Histogram } from './histogram.js';
import { clockMs } from './probe.js';
import { cpuSeconds, rssBytes } from './proc-stats.js';
import { publishRun } from './publisher.js';
import type { LoadSystem } from './system.js';
import type { Target } from './workers/targets.js';
import type { PlayerEcho } from './workers/messages.js';
import { GameServer } from '@pulse/hub/demo';
import { TEST_PASSWORDS } from '@pulse/hub/testing';
import { metricsSubject, parseRoomSubject, roomSubject } from '@pulse/hub/protocol';

const sc = StringCodec();
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export interface ScenarioContext {
  sys: LoadSystem;
  loadWorkers: number;
  log(line: string): void;
  progress(line: string): void;
}

/** What every scenario reports about the hub while it ran. */
interface HubCost {
  hubCpuPct: number;
  hubRssMB: number;
  rssPerConnKB?: number;
}

function latency(h: Histogram) {
  return { p50: round(h.quantile(0.5)), p99: round(h.quantile(0.99)), p999: round(h.quantile(0.999)), max: round(h.max) };
}

function round(n: number): number {
  return Math.round(n * 100) / 100;
}

/** Seconds of `work`, with the hub's CPU over them. */
async function costed<T>(sys: LoadSystem, work: () => Promise<T>): Promise<T & { seconds: number; hubCpuPct: number }> {
  const cpu0 = cpuSeconds(sys.hub.pid);
  const t0 = Date.now();
  const result = await work();
  const seconds = (Date.now() - t0) / 1000;
  return { ...result, seconds, hubCpuPct: round(((cpuSeconds(sys.hub.pid) - cpu0) / seconds) * 100) };
}

async function connectClients(ctx: ScenarioContext, pool: ClientPool, target: Target, ch: string, n: number) {
  const rss0 = rssBytes(ctx.sys.hub.pid);
  const c = await pool.connect(target, ctx.sys.hub.url, ch, n, (up, failed) => ctx.progress(`connecting ${target}: ${up}/${n}${failed ? `, ${failed} failed` : ''}`));
  ctx.log(`${c.connected} ${target} clients connected${c.failed ? `, ${c.failed} failed (${c.firstError})` : ''}`);
  await sleep(2_000);
  const rss1 = rssBytes(ctx.sys.hub.pid);
  return { ...c, rssPerConnKB: round((rss1 - rss0) / 1024 / Math.max(1, c.connected)) };
}

/**
 * N viewers of one room channel on one transport, and a room event stream at
 * `rate` messages a second for `seconds`: deliveries, latency, losses and
 * duplicates by index, hub CPU and memory. `fanout` is this over WebSocket.
 */
export async function viewers(ctx: ScenarioContext, o: { transport: 'ws' | 'sse' | 'poll'; clients: number; rate: number; seconds: number }) {
  const room = `load${Date.now().toString(36)}`;
  const pool = ClientPool.start(ctx.loadWorkers);
  try {
    const c = await connectClients(ctx, pool, `pulse-${o.transport}` as Target, `room:${room}`, o.clients);
    pool.startRun(1);
    const run = await costed(ctx.sys, async () => {
      const ticker = setInterval(() => ctx.progress(`publishing ${o.rate} msg/s to ${c.connected} ${o.transport} viewers…`), 1_000);
      const published = await publishRun(ctx.sys.game, roomSubject(room, 'events'), 1, o.rate, o.seconds);
      clearInterval(ticker);
      await sleep(2_000);
      return { published };
    });
    const r = await pool.report(run.published);
    return {
      scenario: 'viewers',
      ...o,
      connected: c.connected,
      connectFailed: c.failed,
      published: run.published,
      deliveries: r.delivered,
      deliveriesPerSec: Math.round((r.delivered - r.duplicated) / o.seconds),
      lost: r.lost,
      duplicated: r.duplicated,
      latencyMs: latency(r.latency),
      hub: { hubCpuPct: run.hubCpuPct, hubRssMB: round(rssBytes(ctx.sys.hub.pid) / 1048576), rssPerConnKB: c.rssPerConnKB } satisfies HubCost,
    };
  } finally {
    await pool.close();
  }
}

/**
 * M publishers sending `rate` samples a second each over `series` metric
 * names for `seconds`; nothing is lost when the rollups stored for those
 * names count every sample sent.
 */
export async function publishers(ctx: ScenarioContext, o: { publishers: number; rate: number; series: number; seconds: number }) {
  const prefix = `load.${Date.now().toString(36)}`;
  const names = Array.from({ length: o.series }, (_, i) => `${prefix}.s${i}`);
  const perTickMs = 10;
  const run = await costed(ctx.sys, async () => {
    let sent = 0;
    const total = o.publishers * o.rate * o.seconds;
    const start = clockMs();
    await new Promise<void>((done) => {
      const timer = setInterval(() => {
        const due = Math.min(total, Math.floor(((clockMs() - start) / 1000) * o.publishers * o.rate));
        while (sent < due) {
          ctx.sys.service.publish(metricsSubject(`${names[sent % names.length]}`), sc.encode(String(sent % 1000)));
          sent++;
        }
        ctx.progress(`published ${sent.toLocaleString('en')} / ${total.toLocaleString('en')} samples`);
        if (sent >= total) {
          clearInterval(timer);
          done();
        }
      }, perTickMs);
    });
    await ctx.sys.service.flush();
    return { sent };
  });
  // Windows close 250 ms after they end; give the last ones time to be stored.
  await sleep(2_500);
  let counted = 0;
  for (const name of names) {
    const res = await fetch(`${ctx.sys.hub.url}/api/history?ch=metrics:${name}&limit=2000`);
    const body = (await res.json()) as { messages: Array<{ data: { count: number } }> };
    for (const m of body.messages) counted += m.data.count;
  }
  return {
    scenario: 'publishers',
    ...o,
    sent: run.sent,
    samplesPerSec: Math.round(run.sent / run.seconds),
    counted,
    lost: run.sent - counted,
    hub: { hubCpuPct: run.hubCpuPct, hubRssMB: round(rssBytes(ctx.sys.hub.pid) / 1048576) } satisfies HubCost,
  };
}

/**
 * P players in `rooms` rooms, each sending an input 20 times a second to the
 * demo game server, which applies them and echoes each in its state: every
 * player's input-to-echo latency (p50, p99) is what a person steering feels.
 * The load tool also hears the inputs on NATS and checks they arrive, in
 * order, once.
 */
export async function players(ctx: ScenarioContext, o: { players: number; rooms: number; seconds: number }) {
  const prefix = `load${Date.now().toString(36)}`;
  const perPlayer = new Map<string, { last: number; received: number; dup: number; gaps: number }>();
  const lat = new Histogram();
  const sub = ctx.sys.game.subscribe(roomSubject('*', 'input'));
  void (async () => {
    for await (const m of sub) {
      if (!parseRoomSubject(m.subject)?.room.startsWith(prefix)) continue;
      const input = JSON.parse(sc.decode(m.data)) as { player: { id: string }; input: { n: number; t: number } };
      lat.record(clockMs() - input.input.t);
      const p = perPlayer.get(input.player.id) ?? { last: -1, received: 0, dup: 0, gaps: 0 };
      if (input.input.n <= p.last) p.dup++;
      else {
        if (p.last >= 0 && input.input.n > p.last + 1) p.gaps += input.input.n - p.last - 1;
        p.last = input.input.n;
      }
      p.received++;
      perPlayer.set(input.player.id, p);
    }
  })();
  const game = await GameServer.start({ servers: ctx.sys.nats.url, password: TEST_PASSWORDS.game });
  const pools = Array.from({ length: o.rooms }, () => ClientPool.start(Math.max(1, Math.floor(ctx.loadWorkers / o.rooms)) || 1));
  try {
    for (const [i, pool] of pools.entries()) await connectClients(ctx, pool, 'pulse-player', `room:${prefix}${i}`, Math.ceil(o.players / o.rooms));
    // Counting starts with every player in: inputs sent while others were still joining do not count.
    perPlayer.clear();
    lat.reset();
    for (const pool of pools) pool.startRun(0);
    const run = await costed(ctx.sys, async () => {
      const ticker = setInterval(() => ctx.progress(`${perPlayer.size} players sending inputs at 20 Hz…`), 1_000);
      await sleep(o.seconds * 1_000);
      clearInterval(ticker);
      return {};
    });
    const echoes = (await Promise.all(pools.map((p) => p.echoes()))).flat();
    let received = 0;
    let dup = 0;
    let gaps = 0;
    for (const p of perPlayer.values()) {
      received += p.received;
      dup += p.dup;
      gaps += p.gaps;
    }
    return {
      scenario: 'players',
      ...o,
      activePlayers: perPlayer.size,
      inputs: received,
      inputsPerSec: Math.round(received / run.seconds),
      lost: gaps,
      duplicated: dup,
      latencyMs: latency(lat),
      inputToEcho: echoSummary(echoes, perPlayer.size),
      refusedInputs: game.refused,
      hub: { hubCpuPct: run.hubCpuPct, hubRssMB: round(rssBytes(ctx.sys.hub.pid) / 1048576) } satisfies HubCost,
    };
  } finally {
    sub.unsubscribe();
    for (const p of pools) await p.close();
    await game.stop();
  }
}

export type CapacityResult = Awaited<ReturnType<typeof capacity>>;

/**
 * Viewers and publishers at once, the "one machine" check of the benchmark:
 * every viewer connected first, then room messages and metric samples flow
 * together for `seconds`.
 */
export async function capacity(ctx: ScenarioContext, o: { clients: number; samplesPerSec: number; rate: number; seconds: number }) {
  const room = `cap${Date.now().toString(36)}`;
  const pool = ClientPool.start(ctx.loadWorkers);
  try {
    const c = await connectClients(ctx, pool, 'pulse-ws', `room:${room}`, o.clients);
    pool.startRun(1);
    const [roomRun, p] = await Promise.all([
      costed(ctx.sys, async () => ({ published: await publishRun(ctx.sys.game, roomSubject(room, 'events'), 1, o.rate, o.seconds) })),
      publishers(ctx, { publishers: 10, rate: o.samplesPerSec / 10, series: 100, seconds: o.seconds }),
    ]);
    await sleep(2_000);
    const r = await pool.report(roomRun.published);
    const viewers = {
      connected: c.connected,
      connectFailed: c.failed,
      published: roomRun.published,
      deliveries: r.delivered,
      lost: r.lost,
      duplicated: r.duplicated,
      latencyMs: latency(r.latency),
      hub: { hubCpuPct: roomRun.hubCpuPct, hubRssMB: round(rssBytes(ctx.sys.hub.pid) / 1048576), rssPerConnKB: c.rssPerConnKB } satisfies HubCost,
    };
    return { scenario: 'capacity', ...o, viewers, publishers: p, lost: viewers.lost + p.lost, duplicated: viewers.duplicated };
  } finally {
    await pool.close();
  }
}

/** Per player p50 and p99 from input to its echo in the game's state: their median and worst across players, and every player's. */
function echoSummary(echoes: PlayerEcho[], players: number) {
  const of = (key: 'p50' | 'p99') => echoes.map((e) => e[key]).sort((a, b) => a - b);
  const median = (v: number[]) => round(v[Math.floor(v.length / 2)] ?? 0);
  return {
    playersEchoed: echoes.length,
    playersWithoutEcho: players - echoes.length,
    p50Ms: { median: median(of('p50')), worst: round(of('p50').at(-1) ?? 0) },
    p99Ms: { median: median(of('p99')), worst: round(of('p99').at(-1) ?? 0) },
    perPlayer: echoes.map((e) => ({ echoes: e.echoes, p50Ms: round(e.p50), p99Ms: round(e.p99) })),
  };
}
