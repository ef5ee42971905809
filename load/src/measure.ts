import type { NatsConnection } from 'nats';
import { ClientPool } from './client-pool.js';
import { cpuSeconds, rssBytes } from './proc-stats.js';
import { publishRun } from './publisher.js';
import { searchRate, type SearchPlan } from './rate-search.js';
import { launchServer, type ServerKind } from './servers/launch.js';
import { retainedMemory } from './servers/retained-memory.js';
import type { Target } from './workers/targets.js';
import { roomSubject } from '@pulse/hub/protocol';

/** The service level a rate must meet to count as sustained. */
export const P99_LIMIT_MS = 100;

export interface Config {
  /** How the row is named in tables and charts. */
  label: string;
  server: ServerKind;
  target: Target;
  clients: number;
  env?: Record<string, string>;
  /** Which run of this server at this size, where the matrix repeats it. */
  repeat?: number;
}

export interface Step {
  rate: number;
  ok: boolean;
  published: number;
  deliveriesPerSec: number;
  p50: number;
  p99: number;
  p999: number;
  lost: number;
  duplicated: number;
  /** Server CPU over the step, in percent of one core. */
  cpuPct: number;
  /** The load clients' CPU over the step, in percent of one core: they share the machine. */
  clientCpuPct: number;
  /** Server CPU time over the step (its drain included) per message delivered, in microseconds. */
  cpuUsPerDelivery: number;
  why?: string;
  /** The second try at a rate whose first try failed. */
  retry?: true;
}



export interface Measurement {
  config: Config;
  connected: number;
  connectFailed: number;
  connectSeconds: number;
  /**
   * CPU each side spent per client while they connected, in µs: the server, the
   * load clients, nats-server. They share the machine's cores, so connect time
   * follows their sum.
   */
  connectCpuUs?: { server: number; clients: number; nats: number };
  rssIdleMB: number;
  rssConnectedMB: number;
  /** Resident memory growth per connection, read from outside once the server is quiet: includes garbage not yet collected. */
  memPerConnKB: number;
  heapIdleMB: number;
  heapConnectedMB: number;
  /** JavaScript heap still in use per connection after full garbage collections: what a connection keeps. */
  heapPerConnKB: number;
  best: Step | undefined;
  /** Every try of the rate search, in order, failed first tries included. */
  steps: Step[];
  /** One step at the run's fixed rate, the same for every server: for CPU per delivery. */
  fixed: Step | undefined;
}

export interface MeasureOptions {
  nats: { url: string; user: string; pass: string; pid?: number };
  publisher: NatsConnection;
  loadWorkers: number;
  stepSeconds: number;
  drainMs: number;
  plan: SearchPlan;
  /** A rate every server sustains at this size, run once before the search, for `fixedSeconds`. */
  fixedRate?: number;
  fixedSeconds?: number;
  log: (line: string) => void;
  progress: (line: string) => void;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Starting and connecting leave work behind (presence writes, for the hub): wait until the server is quiet, at most 20 s. */
async function settle(pid: number): Promise<void> {
  const deadline = Date.now() + 20_000;
  await sleep(2_000);
  while (Date.now() < deadline) {
    const cpu0 = cpuSeconds(pid);
    await sleep(1_000);
    if (cpuSeconds(pid) - cpu0 < 0.1) return;
  }
}
let runs = 0;

/**
 * One server, one kind of client, one number of clients: connect them all,
 * measure memory, then find the highest message rate at which every client
 * gets every message with p99 under P99_LIMIT_MS.
 */
export async function measure(config: Config, o: MeasureOptions): Promise<Measurement> {
  const room = `bench${Date.now().toString(36)}${(runs++).toString(36)}`;
  const subject = roomSubject(room, 'events');
  const name = `[${config.label} ×${config.clients}]`;
  const server = await launchServer(config.server, o.nats, subject, config.env);
  const pool = ClientPool.start(o.loadWorkers);
  try {
    // Idle is read once the server is quiet, like connected below: right after start it is still
    // compiling and setting up, and the hub's idle memory moved by 7 MB between runs read at 1.5 s.
    await settle(server.pid);
    const rssIdle = rssBytes(server.pid);
    const heapIdle = (await retainedMemory(server.pid, server.output)).heapBytes;
    const cpuAt = () => ({ server: cpuSeconds(server.pid), clients: pool.pids.reduce((a, p) => a + cpuSeconds(p), 0), nats: o.nats.pid ? cpuSeconds(o.nats.pid) : 0 });
    const cpuBefore = cpuAt();
    const started = Date.now();
    const conn = await pool.connect(config.target, server.url, `room:${room}`, config.clients, (up, failed) =>
      o.progress(`${name} connecting ${up}/${config.clients}${failed ? ` (${failed} failed)` : ''}`),
    );
    const connectSeconds = (Date.now() - started) / 1000;
    const cpuAfter = cpuAt();
    const perClient = (k: keyof typeof cpuAfter) => Math.round(((cpuAfter[k] - cpuBefore[k]) * 1e6) / Math.max(1, conn.connected));
    const connectCpuUs = { server: perClient('server'), clients: perClient('clients'), nats: perClient('nats') };
    o.log(`${name} ${conn.connected} connected in ${connectSeconds.toFixed(1)} s${conn.failed ? `, ${conn.failed} failed (${conn.firstError})` : ''}`);
    await settle(server.pid);
    const rssConnected = rssBytes(server.pid);
    const memPerConnKB = (rssConnected - rssIdle) / 1024 / Math.max(1, conn.connected);
    const heapConnected = (await retainedMemory(server.pid, server.output)).heapBytes;
    const heapPerConnKB = (heapConnected - heapIdle) / 1024 / Math.max(1, conn.connected);
    o.log(
      `${name} memory: resident ${(rssIdle / 1048576).toFixed(0)} MB idle, ${(rssConnected / 1048576).toFixed(0)} MB connected, ${memPerConnKB.toFixed(1)} KB per connection; ` +
        `heap after GC ${(heapIdle / 1048576).toFixed(1)} MB idle, ${(heapConnected / 1048576).toFixed(1)} MB connected, ${heapPerConnKB.toFixed(2)} KB per connection`,
    );

    // Unmeasured: the first messages pay for JIT compilation on every side.
    await publishRun(o.publisher, subject, ++runs, o.plan.start, o.stepSeconds);
    await sleep(o.drainMs);
    const tries: Step[] = [];
    const attempt = async (rate: number, retry = false, seconds = o.stepSeconds): Promise<Step> => {
      const run = ++runs;
      pool.startRun(run);
      await sleep(50);
      const cpu0 = cpuSeconds(server.pid);
      const clientCpu0 = pool.pids.reduce((a, p) => a + cpuSeconds(p), 0);
      const t0 = Date.now();
      o.progress(`${name} ${rate} msg/s for ${seconds} s…`);
      const published = await publishRun(o.publisher, subject, run, rate, seconds);
      await sleep(o.drainMs);
      const elapsed = (Date.now() - t0) / 1000;
      const serverCpu = cpuSeconds(server.pid) - cpu0;
      const cpuPct = (serverCpu / elapsed) * 100;
      const clientCpuPct = ((pool.pids.reduce((a, p) => a + cpuSeconds(p), 0) - clientCpu0) / elapsed) * 100;
      const r = await pool.report(published);
      const p99 = r.latency.quantile(0.99);
      const why =
        r.lost > 0 ? `${r.lost} lost` : r.duplicated > 0 ? `${r.duplicated} duplicated` : p99 > P99_LIMIT_MS ? `p99 ${p99.toFixed(0)} ms` : conn.connected < config.clients ? 'clients missing' : undefined;
      const step: Step = {
        rate,
        ok: why === undefined,
        published,
        deliveriesPerSec: (r.delivered - r.duplicated) / seconds,
        p50: r.latency.quantile(0.5),
        p99,
        p999: r.latency.quantile(0.999),
        lost: r.lost,
        duplicated: r.duplicated,
        cpuPct,
        clientCpuPct,
        cpuUsPerDelivery: (serverCpu / Math.max(1, r.delivered - r.duplicated)) * 1e6,
        ...(why !== undefined && { why }),
        ...(retry && { retry: true as const }),
      };
      tries.push(step);
      o.log(
        `${name} ${rate} msg/s: ${Math.round(step.deliveriesPerSec).toLocaleString('en')} deliveries/s, p50 ${step.p50.toFixed(1)} ms, p99 ${p99.toFixed(1)} ms, p99.9 ${step.p999.toFixed(1)} ms, lost ${r.lost}, dup ${r.duplicated}, server cpu ${cpuPct.toFixed(0)}%, clients ${clientCpuPct.toFixed(0)}% → ${why ?? 'ok'}`,
      );
      // A step the server could not keep up with leaves a backlog: let it drain before the next.
      if (step.ok) await sleep(500);
      else await settle(server.pid);
      return step;
    };
    // Sustained means repeatable: a rate fails only when a second try fails too, so one scheduling
    // hiccup on this shared machine does not end the search.
    const fixed = o.fixedRate === undefined ? undefined : await attempt(o.fixedRate, false, o.fixedSeconds);
    const { best } = await searchRate(o.plan, async (rate) => {
      const first = await attempt(rate);
      return first.ok ? first : attempt(rate, true);
    });
    return {
      config,
      connected: conn.connected,
      connectFailed: conn.failed,
      connectSeconds,
      connectCpuUs,
      rssIdleMB: rssIdle / 1048576,
      rssConnectedMB: rssConnected / 1048576,
      memPerConnKB,
      heapIdleMB: heapIdle / 1048576,
      heapConnectedMB: heapConnected / 1048576,
      heapPerConnKB,
      best,
      steps: tries.filter((s) => s !== fixed),
      fixed,
    };
  } finally {
    // The server goes first, so the closing handshakes' TIME_WAIT lands on its side.
    await server.stop();
    await pool.close();
  }
}
