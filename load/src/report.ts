import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { P99_LIMIT_MS, type Measurement, type Step } from './measure.js';
import type { CapacityResult } from './scenarios.js';
import type { IngestResult } from './ingest.js';
import { ingestSection } from './ingest-report.js';
import type { StormPair } from './reconnect-storm.js';
import { keptSoakSection } from './soak-report.js';

/** Min and max, over the repeated runs, of one ratio (run i of one server against run i of the other). */
export type Spread = [number, number] | null;

export interface Headline {
  clients: number;
  /** Runs of each server at this size: each figure below is the median over them. */
  repeats: number;
  hub_deliveries_per_sec: number | null;
  hub_vs_ws_throughput: number | null;
  hub_vs_socketio_throughput: number | null;
  /** The median, over every rate both sustained in every pair of runs, of the hub's p99 over the other's at that rate. */
  hub_vs_ws_p99: number | null;
  /** Like hub_vs_ws_p99; null when no rate was sustained by both. */
  hub_vs_socketio_p99: number | null;
  /** Server CPU per delivery at one fixed rate that every server sustains: independent of the p99 limit. */
  hub_vs_ws_cpu_per_delivery: number | null;
  hub_vs_socketio_cpu_per_delivery: number | null;
  /** Resident memory growth per connection, hub over bare ws. */
  hub_vs_ws_mem_per_conn: number | null;
  /** JavaScript heap kept per connection after full collections, hub over bare ws. */
  hub_vs_ws_heap_per_conn: number | null;
  hub_vs_socketio_mem_per_conn: number | null;
  hub_vs_socketio_heap_per_conn: number | null;
  sse_vs_ws_throughput: number | null;
  /** Time to connect and subscribe every client to one room, hub over bare ws (median over runs). */
  hub_vs_ws_connect_time: number | null;
  /** Connect time, hub over bare ws, at each client count measured (one run each past the headline size). */
  hub_vs_ws_connect_time_by_clients: Record<string, number | null>;
  /** Seconds from a restart of the hub under clients of the client library to all of them subscribed again. */
  reconnect_storm_s: number | null;
  /** That time over bare ws's, whose clients reconnect after the same backoff. */
  hub_vs_ws_reconnect_storm: number | null;
  spread: Record<'hub_vs_ws_throughput' | 'hub_vs_socketio_throughput' | 'hub_vs_ws_cpu_per_delivery' | 'hub_vs_socketio_cpu_per_delivery' | 'sse_vs_ws_throughput', Spread>;
  /** Where a figure is missing or bounded by something other than the server, why. */
  notes: string[];
  /** Over every try of every run, failed ones and the capacity run included. */
  lost: number;
  duplicated: number;
  failed_tries: number;
}

export interface Summary {
  headline: Headline;
  table: string;
  /** Per rate both sustained at the headline size, over every pair of runs: the p99 ratios the medians come from. */
  p99ByRate: { ws: RateRatio[]; socketio: RateRatio[] };
}

const fmt = (n: number | undefined, digits = 0) => (n === undefined ? '–' : n.toLocaleString('en', { maximumFractionDigits: digits, minimumFractionDigits: digits }));
const round2 = (x: number) => Math.round(x * 100) / 100;

type Figure = (m: Measurement) => number | undefined;
const throughput: Figure = (m) => m.best?.deliveriesPerSec;
// A fixed-rate step over the p99 limit still says what each delivery cost, as long as every one was delivered.
const cpuPerDelivery: Figure = (m) => (m.fixed && m.fixed.lost === 0 && m.fixed.deliveriesPerSec > 0 ? m.fixed.cpuUsPerDelivery : undefined);

/** The median of a figure over one server's runs, over the other's. */
function ratioOfMedians(a: Measurement[], b: Measurement[], f: Figure): number | null {
  const x = median(a.map(f).filter((v): v is number => v !== undefined));
  const y = median(b.map(f).filter((v): v is number => v !== undefined));
  return x !== null && y !== null && y > 0 ? round2(x / y) : null;
}

/** Run i of one server against run i of the other: the smallest and largest ratio. */
function spreadOf(a: Measurement[], b: Measurement[], f: Figure): Spread {
  const ratios: number[] = [];
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    const x = f(a[i]!);
    const y = f(b[i]!);
    if (x !== undefined && y !== undefined && y > 0) ratios.push(round2(x / y));
  }
  return ratios.length === 0 ? null : [Math.min(...ratios), Math.max(...ratios)];
}

/** Every try of a run: the fixed-rate step and the search. */
export function triesOf(m: Measurement): Step[] {
  return m.fixed ? [m.fixed, ...m.steps] : m.steps;
}

/** The table every run prints, and the ratios at the headline client count. */
export function summarize(results: Measurement[], headlineClients: number, capacity?: CapacityResult, storm?: StormPair): Summary {
  const rows = [
    '| server | clients | best rate (msg/s) | deliveries/s | p50 ms | p99 ms | p99.9 ms | server CPU | µs/delivery at fixed rate | RSS KB/conn | heap KB/conn | tries (failed) | lost | dup |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
  ];
  for (const m of results) {
    const b = m.best;
    const tries = triesOf(m);
    const failed = tries.filter((s) => !s.ok).length;
    rows.push(
      `| ${m.config.label} | ${fmt(m.connected)}${m.connectFailed ? ` (${m.connectFailed} failed)` : ''} | ${fmt(b?.rate, 1)} | ${fmt(b?.deliveriesPerSec)} | ${fmt(b?.p50, 1)} | ${fmt(b?.p99, 1)} | ${fmt(b?.p999, 1)} | ${b ? `${fmt(b.cpuPct)}%` : '–'} | ${fmt(cpuPerDelivery(m), 1)} | ${fmt(m.memPerConnKB, 1)} | ${fmt(m.heapPerConnKB, 2)} | ${tries.length} (${failed}) | ${fmt(sum(tries, (s) => s.lost))} | ${fmt(sum(tries, (s) => s.duplicated))} |`,
    );
  }
  const runsOf = (label: string) => results.filter((m) => m.config.label === label && m.config.clients === headlineClients);
  const hub = runsOf('hub ws');
  const ws = runsOf('bare ws');
  const sio = runsOf('socket.io');
  const sse = runsOf('hub sse');
  const pairs = (a: Measurement[], b: Measurement[]) => a.slice(0, b.length).flatMap((m, i) => p99Ratios(m, b[i]!));
  const p99ByRate = { ws: pairs(hub, ws), socketio: pairs(hub, sio) };
  const all = results.flatMap(triesOf);
  const hubBest = median(hub.map(throughput).filter((v): v is number => v !== undefined));
  const headline: Headline = {
    clients: headlineClients,
    repeats: Math.min(...[hub, ws, sio, sse].map((r) => r.length)),
    hub_deliveries_per_sec: hubBest === null ? null : Math.round(hubBest),
    hub_vs_ws_throughput: ratioOfMedians(hub, ws, throughput),
    hub_vs_socketio_throughput: ratioOfMedians(hub, sio, throughput),
    hub_vs_ws_p99: median(p99ByRate.ws.map((r) => r.ratio)),
    hub_vs_socketio_p99: median(p99ByRate.socketio.map((r) => r.ratio)),
    hub_vs_ws_cpu_per_delivery: ratioOfMedians(hub, ws, cpuPerDelivery),
    hub_vs_socketio_cpu_per_delivery: ratioOfMedians(hub, sio, cpuPerDelivery),
    hub_vs_ws_mem_per_conn: ratioOfMedians(hub, ws, (m) => m.memPerConnKB),
    hub_vs_ws_heap_per_conn: ratioOfMedians(hub, ws, (m) => m.heapPerConnKB),
    hub_vs_socketio_mem_per_conn: ratioOfMedians(hub, sio, (m) => m.memPerConnKB),
    hub_vs_socketio_heap_per_conn: ratioOfMedians(hub, sio, (m) => m.heapPerConnKB),
    sse_vs_ws_throughput: ratioOfMedians(sse, hub, throughput),
    hub_vs_ws_connect_time: ratioOfMedians(hub, ws, connectTime),
    hub_vs_ws_connect_time_by_clients: Object.fromEntries(
      [...new Set(results.map((m) => m.config.clients))]
        .sort((x, y) => x - y)
        .map((n) => [String(n), ratioOfMedians(at(results, 'hub ws', n), at(results, 'bare ws', n), connectTime)]),
    ),
    reconnect_storm_s: storm ? storm.hub.seconds : null,
    hub_vs_ws_reconnect_storm: storm ? storm.ratio : null,
    spread: {
      hub_vs_ws_throughput: spreadOf(hub, ws, throughput),
      hub_vs_socketio_throughput: spreadOf(hub, sio, throughput),
      hub_vs_ws_cpu_per_delivery: spreadOf(hub, ws, cpuPerDelivery),
      hub_vs_socketio_cpu_per_delivery: spreadOf(hub, sio, cpuPerDelivery),
      sse_vs_ws_throughput: spreadOf(sse, hub, throughput),
    },
    notes: [...hub, ...ws, ...sio, ...sse].map(floorNote).filter((n): n is string => n !== undefined),
    lost: sum(all, (s) => s.lost) + (capacity ? capacity.viewers.lost + capacity.publishers.lost : 0) + (storm?.lost ?? 0),
    duplicated: sum(all, (s) => s.duplicated) + (capacity ? capacity.viewers.duplicated : 0) + (storm?.duplicated ?? 0),
    failed_tries: all.filter((s) => !s.ok).length,
  };
  return { headline, table: rows.join('\n'), p99ByRate };
}

const connectTime: Figure = (m) => (m.connected === m.config.clients ? m.connectSeconds : undefined);

function at(results: Measurement[], label: string, clients: number): Measurement[] {
  return results.filter((m) => m.config.label === label && m.config.clients === clients);
}

function sum<T>(xs: readonly T[], f: (x: T) => number): number {
  return xs.reduce((a, x) => a + f(x), 0);
}

/**
 * Why a run has no sustained rate, when the reason is the fan-out's floor:
 * one message takes the p99 limit to reach every client however slow the
 * rate, so the ratio next to it compares nothing but that floor.
 */
function floorNote(m: Measurement): string | undefined {
  if (m.best) return undefined;
  const lowest = [...m.steps].sort((a, b) => a.rate - b.rate)[0];
  if (!lowest) return `${m.config.label} ×${fmt(m.config.clients)}: not measured`;
  const floor = lowest.lost === 0 && lowest.p99 > P99_LIMIT_MS;
  return `${m.config.label} ×${fmt(m.config.clients)}: no rate passed${floor ? ` by its floor: even at ${lowest.rate} msg/s one message took p99 ${fmt(lowest.p99)} ms to reach every client` : `: at ${lowest.rate} msg/s ${lowest.why ?? 'failed'}`}`;
}

export interface RateRatio {
  rate: number;
  hub: number;
  other: number;
  ratio: number;
}

/**
 * p99 of the hub against another server at each rate both sustained (a rate
 * passed on a retry counts). Their medians are the headline: the highest
 * such rate alone sits at the edge of one of the two, where p99 jumps with
 * queueing from one run to the next (0.78 to 1.61 over six runs here).
 */
function p99Ratios(hub: Measurement, other: Measurement): RateRatio[] {
  const passed = (m: Measurement, rate: number) => m.steps.find((s) => s.rate === rate && s.ok);
  const out: RateRatio[] = [];
  for (const rate of [...new Set(hub.steps.map((s) => s.rate))].sort((a, b) => a - b)) {
    const h = passed(hub, rate);
    const o = passed(other, rate);
    if (h && o && o.p99 > 0) out.push({ rate, hub: h.p99, other: o.p99, ratio: round2(h.p99 / o.p99) });
  }
  return out;
}

function median(xs: number[]): number | null {
  if (xs.length === 0) return null;
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : round2((s[mid - 1]! + s[mid]!) / 2);
}

export interface ReportInput {
  machine: { cpus: number; cpu: string; memGiB: number; node: string };
  /** When the run finished. */
  finished: Date;
  seconds: number;
  /** Finished from the saved measurements of an earlier, interrupted run. */
  resumed: boolean;
  results: Measurement[];
  summary: Summary;
  capacity: CapacityResult | undefined;
  ingest: IngestResult[];
  storm: StormPair | undefined;
  command: string;
}

/** docs/benchmarks.md and its chart, from a full run. */
export function writeReport(root: string, r: ReportInput): void {
  writeFileSync(`${root}docs/benchmarks.svg`, chart(r.results));
  // The soak runs on its own (npm run load -- soak): its section is carried over as it is.
  const soak = existsSync(`${root}docs/benchmarks.md`) ? keptSoakSection(readFileSync(`${root}docs/benchmarks.md`, 'utf8')) : '';
  const h = r.summary.headline;
  const md = `# Benchmarks

Generated by \`${r.command}\` on ${r.finished.toISOString().slice(0, 16).replace('T', ' ')} UTC${r.resumed ? ' (resumed with `--resume`: measurements saved by an earlier run were reused and only the missing ones taken)' : ` in ${Math.round(r.seconds / 60)} minutes`}; do not edit by hand.

**Machine:** ${r.machine.cpus} × ${r.machine.cpu}, ${r.machine.memGiB} GiB, Node ${r.machine.node}, nats-server from Debian, everything on one machine over loopback (servers, nats-server and the load clients share the ${r.machine.cpus} cores).

**Method.** For each server under test a fresh nats-server (the project's \`nats.conf\`). A publisher sends probes \`{"r","i","t"}\` on \`rooms.<room>.events\`; each server relays that subject to N WebSocket clients (SSE for "hub sse"): the hub through its rooms stream as \`room:<room>\` messages, the bare \`ws\` server with \`ws.send\` of the same buffer to every client, the Socket.IO 4 server with one \`io.emit\`. Clients run in 2 load processes and check every probe by run and index. For each server the rate doubles from 4 msg/s while every client gets every message with p99 under 100 ms, then is narrowed between the last pass and the first failure (a rate whose try fails is tried once more); the table shows the best rate. Before the search, one step at a fixed rate of 20,000 deliveries a second (20 msg/s to 1,000 clients), the same for every server, measures server CPU per delivery, which does not depend on the p99 limit. Memory per connection is measured two ways, the same for every server: the growth of its resident memory (RSS, read from /proc) from idle to N connected clients once it is quiet again, divided by N; and the growth of its JavaScript heap after two full garbage collections, which a probe preloaded into every server (hub and baselines alike) runs on request, divided by N. The first is what the machine sees but includes garbage the collector has not reached yet and the young generation it grew while clients connected (up to 32 MB for any of these servers), so it depends on when the collector last ran; the second is what a connection keeps.

## At ${fmt(h.clients)} clients

Each server ran ${h.repeats} times at this size, each time on a fresh server and nats-server; every figure is the median over the runs, and the spread is the lowest and highest ratio of run *i* of one server against run *i* of the other. ${fmt(h.clients)} clients keep one message's fan-out far below the p99 limit on every server, so the best rate measures throughput, not that floor.

| ratio | hub / bare ws | spread | target | hub / Socket.IO | spread | target |
| --- | ---: | --- | --- | ---: | --- | --- |
| deliveries per second | ${h.hub_vs_ws_throughput ?? '–'} | ${spreadText(h.spread.hub_vs_ws_throughput)} | ≥ 1.0 | ${h.hub_vs_socketio_throughput ?? '–'} | ${spreadText(h.spread.hub_vs_socketio_throughput)} | ≥ 1.25 |
| server CPU per delivery at ${fixedRateText(r.results, h.clients)} | ${h.hub_vs_ws_cpu_per_delivery ?? '–'} | ${spreadText(h.spread.hub_vs_ws_cpu_per_delivery)} | ≤ 1.0 | ${h.hub_vs_socketio_cpu_per_delivery ?? '–'} | ${spreadText(h.spread.hub_vs_socketio_cpu_per_delivery)} | |
| p99 at the same rate (median over the rates both sustain) | ${h.hub_vs_ws_p99 ?? '– (no rate both sustained)'} | | ≤ 1.5 | ${h.hub_vs_socketio_p99 ?? '– (no rate both sustained)'} | | |
| memory per connection (RSS) | ${h.hub_vs_ws_mem_per_conn ?? '–'} | | ≤ 1.5 | ${h.hub_vs_socketio_mem_per_conn ?? '–'} | | |
| memory per connection (heap kept after GC) | ${h.hub_vs_ws_heap_per_conn ?? '–'} | | ≤ 1.5 | ${h.hub_vs_socketio_heap_per_conn ?? '–'} | | |

Hub SSE / hub WebSocket, deliveries per second: ${h.sse_vs_ws_throughput ?? '–'} (spread ${spreadText(h.spread.sse_vs_ws_throughput)}; target ≥ 0.7).

Connecting WebSocket clients and subscribing them to one room, hub / bare ws (target ≤ 2; the hub's clients take presence as \`presence=diff\`): ${Object.entries(h.hub_vs_ws_connect_time_by_clients)
    .map(([n, ratio]) => `${fmt(Number(n))} clients ${ratio ?? '–'}`)
    .join(', ')}.
${connectCpuText(r.results)}

${stormText(r.storm)}
${h.notes.length ? `\n${h.notes.map((n) => `- ${n}`).join('\n')}\n` : ''}
Lost ${fmt(h.lost)} and duplicated ${fmt(h.duplicated)} messages over every try of every run (failed tries and the capacity run included); ${fmt(h.failed_tries)} tries failed (listed under "Every try").

p99 in ms at each rate both sustained, hub against ${rateList(r.summary.p99ByRate.ws, 'bare ws')}; against ${rateList(r.summary.p99ByRate.socketio, 'Socket.IO')}.

## One machine, many connections

${capacityText(r.capacity)}

${ingestSection(r.ingest)}
## Fan-out with workers

${workersText(r.results, r.machine.cpus)}

## Every run

${r.summary.table}

## Every try

A rate counts as sustained when a try passes; a rate whose first try fails is tried once more, and both tries are listed. The failed tries, per run:

${failedTries(r.results)}

![Deliveries per second against the number of clients, per server](benchmarks.svg)

## What limits each figure

Measured, per run: the rate that failed after the best one, why it failed, and where the CPU went at the best rate. The machine has ${r.machine.cpus} cores for the server, nats-server and the load clients together.

${limits(r.results)}
`;
  writeFileSync(`${root}docs/benchmarks.md`, soak ? `${md.trimEnd()}\n\n${soak}\n` : md);
}

/**
 * Where connect time goes: every process of a run shares the machine's cores
 * while clients connect, so the time follows the CPU all of them spend.
 */
function connectCpuText(results: readonly Measurement[]): string {
  const side = (label: string) => {
    const runs = results.filter((m) => m.config.label === label && m.connectCpuUs);
    if (runs.length === 0) return undefined;
    const med = (k: 'server' | 'clients' | 'nats') => median(runs.map((m) => m.connectCpuUs![k]))!;
    return { server: med('server'), clients: med('clients'), nats: med('nats') };
  };
  const hub = side('hub ws');
  const ws = side('bare ws');
  if (!hub || !ws) return '';
  const total = (s: { server: number; clients: number; nats: number }) => s.server + s.clients + s.nats;
  return `
CPU per connected client while they connect (median over every size and run), which is what connect time follows, since the server, nats-server and the load clients share the machine's cores: hub ${fmt(hub.server)} µs, its clients ${fmt(hub.clients)} µs, nats-server ${fmt(hub.nats)} µs, ${fmt(total(hub))} µs in all; bare ws ${fmt(ws.server)} µs, its clients ${fmt(ws.clients)} µs, nats-server ${fmt(ws.nats)} µs, ${fmt(total(ws))} µs in all (${fmt(total(hub) / total(ws), 2)}×). A bare relay's connect is a WebSocket handshake. The hub's also checks the origin and the token, admits and opens a session, subscribes it to the room (the room's state and the presence greeting go out in the handshake's write), and makes the client present: an entry in the presence KV bucket that nats-server stores and echoes to every hub, and a join announced on \`presence.<channel>\`. nats-server's share is that presence work alone; in a profile of the hub, its own share spreads over these steps and the socket writes, with no single one dominant.`;
}

function stormText(st: StormPair | undefined): string {
  if (!st) return 'Reconnect storm: not run.';
  const side = (x: StormPair['hub']) => `${fmt(x.back)} of ${fmt(x.connected)} back ${fmt(x.seconds, 2)} s after the stop (the server took ${fmt(x.restartSeconds, 2)} s of it to stop and listen again)`;
  return `Reconnect storm, ${fmt(st.hub.clients)} clients: the hub restarted under clients of the client library, ${side(st.hub)}, ${fmt(st.hub.published)} room messages published through it, ${fmt(st.hub.lost ?? 0)} lost and ${fmt(st.hub.duplicated ?? 0)} duplicated; a bare \`ws\` relay restarted under clients reconnecting after the same backoff, ${side(st.bareWs)}. Hub / bare ws: ${st.ratio} (target ≤ 3). The servers were away ${fmt(st.hub.restartSeconds, 2)} s (hub) and ${fmt(st.bareWs.restartSeconds, 2)} s (bare ws): the hub's restart is a Node process compiling its TypeScript with tsx, connecting to NATS and binding its streams and buckets, after handing over its rollup partitions. Clients back off exponentially while their server is away (full jitter from 500 ms, doubling), so the longer the absence, the further apart their returns spread once it listens: hub ${fmt(st.hub.seconds - st.hub.restartSeconds, 2)} s from listening to the last client back, bare ws ${fmt(st.bareWs.seconds - st.bareWs.restartSeconds, 2)} s.`;
}

function spreadText(s: Spread): string {
  return s ? `${s[0]}–${s[1]}` : '–';
}

function fixedRateText(results: Measurement[], clients: number): string {
  const rate = results.find((m) => m.config.clients === clients && m.fixed)?.fixed?.rate;
  return rate === undefined ? 'a fixed rate' : `${fmt(rate)} msg/s (every server)`;
}

function failedTries(results: Measurement[]): string {
  const lines = results
    .map((m) => {
      const failed = triesOf(m).filter((s) => !s.ok);
      if (failed.length === 0) return undefined;
      return `- ${m.config.label} ×${fmt(m.config.clients)}: ${failed.map((s) => `${s.rate} msg/s${s.retry ? ' (second try)' : ''}: ${s.why}`).join('; ')}`;
    })
    .filter((l): l is string => l !== undefined);
  return lines.length ? lines.join('\n') : 'None.';
}

function rateList(rows: RateRatio[], other: string): string {
  if (rows.length === 0) return `${other}: no rate both sustained`;
  return `${other}: ${rows.map((x) => `${x.rate} msg/s ${fmt(x.hub)} vs ${fmt(x.other)} (${x.ratio})`).join(', ')}`;
}

function workersText(results: Measurement[], cpus: number): string {
  const rows = [...new Set(results.map((m) => m.config.clients))].sort((x, y) => x - y).map((clients) => {
    const one = results.find((m) => m.config.label === 'hub ws' && m.config.clients === clients);
    const two = results.find((m) => m.config.label === 'hub ws, 2 workers' && m.config.clients === clients);
    const cell = (m: Measurement | undefined) =>
      m?.best ? `${fmt(m.best.deliveriesPerSec)} deliveries/s (server ${fmt(m.best.cpuPct)}%, clients ${fmt(m.best.clientCpuPct)}% of a core)` : 'no rate passed';
    return `| ${fmt(clients)} | ${cell(one)} | ${cell(two)} |`;
  });
  return `\`HUB_WORKERS=2\` splits the sockets between two processes that share only NATS, so one fan-out is two half-size fan-outs in parallel. Here the load clients run on the same ${cpus} cores and need as much CPU as the server to read what it sends, so a second worker finds little idle CPU: on this machine what it adds to the best rate (below) is bounded by what the clients leave, and it costs a second process's memory. Where the clients are elsewhere, each worker's share of a fan-out is half as long, which is what lets one machine hold the capacity run above.

| clients | 1 worker | 2 workers |
| ---: | --- | --- |
${rows.join('\n')}`;
}

function capacityText(c: CapacityResult | undefined): string {
  if (!c) return 'Not run.';
  const v = c.viewers;
  const p = c.publishers;
  return `With \`HUB_WORKERS=2\`, ${fmt(v.connected)} WebSocket viewers of one room (${fmt(v.connectFailed)} failed to connect) received ${fmt(v.published)} room messages each (${fmt(v.deliveries)} deliveries, p99 ${fmt(v.latencyMs.p99, 1)} ms, lost ${fmt(v.lost)}, duplicated ${fmt(v.duplicated)}) while ${fmt(p.sent)} metric samples were published at ${fmt(p.samplesPerSec)} a second over ${p.series} names; the stored rollups counted ${fmt(p.counted)} of them (lost ${fmt(p.lost)}). Hub CPU ${fmt(v.hub.hubCpuPct)}% of one core (all processes), resident memory ${fmt(v.hub.hubRssMB)} MB.`;
}

function limits(results: Measurement[]): string {
  return results
    .map((m) => {
      const b = m.best;
      const failed = m.steps.filter((s) => !s.ok && (!b || s.rate > b.rate)).sort((x, y) => x.rate - y.rate)[0];
      const name = `**${m.config.label} ×${m.config.clients.toLocaleString('en')}**`;
      if (!b) {
        const lowest = [...m.steps].sort((x, y) => x.rate - y.rate)[0];
        if (!lowest) return `- ${name}: not measured.`;
        const clientMsPerMessage = (lowest.clientCpuPct / 100 / lowest.deliveriesPerSec) * m.config.clients * 1000;
        return `- ${name}: no rate passed; even at ${lowest.rate} msg/s ${lowest.why}, with the server at ${fmt(lowest.cpuPct)}% of a core and the clients at ${fmt(lowest.clientCpuPct)}%. The floor is one message's fan-out: the load clients alone spend ${fmt(clientMsPerMessage)} ms of CPU reading one message on ${m.config.clients.toLocaleString('en')} connections, on the same cores as the server, so the last of them reads it well after the first whatever the rate.`;
      }
      // A p99 failure with the server mostly idle is no backlog: one message takes that long to reach everyone.
      const floor =
        failed && failed.p99 > P99_LIMIT_MS && failed.lost === 0 && failed.cpuPct < 50
          ? `; that is no backlog but the time one message takes to reach all ${m.config.clients.toLocaleString('en')} clients (p50 ${fmt(failed.p50, 1)} ms), right at the limit whatever the rate, so the best rate is where it happened to stay under ${P99_LIMIT_MS} ms`
          : '';
      const failure = failed
        ? `at ${failed.rate} msg/s ${failed.why}, with the server at ${fmt(failed.cpuPct)}% of a core and the load clients at ${fmt(failed.clientCpuPct)}%${floor}`
        : 'no higher rate was tried';
      return `- ${name}: best ${b.rate} msg/s; ${failure}. At the best rate the server spent ${b.cpuUsPerDelivery.toFixed(1)} µs of CPU per delivery (${fmt(b.cpuPct)}% of a core), the clients ${fmt(b.clientCpuPct)}%; memory ${fmt(m.memPerConnKB, 1)} KB per connection resident, ${fmt(m.heapPerConnKB, 2)} KB of heap kept.`;
    })
    .join('\n');
}

const COLORS: Record<string, string> = { 'hub ws': '#2f6fed', 'hub ws, 2 workers': '#1f9d55', 'hub sse': '#7c3aed', 'bare ws': '#6b7385', 'socket.io': '#d97706' };

/** Deliveries per second against clients, one line per server: a small hand-written SVG, no plotting dependency. */
export function chart(results: Measurement[]): string {
  const W = 760;
  const H = 420;
  const pad = { l: 80, r: 170, t: 30, b: 50 };
  const series = new Map<string, Array<[number, number]>>();
  for (const m of results) if (m.best) series.set(m.config.label, [...(series.get(m.config.label) ?? []), [m.config.clients, m.best.deliveriesPerSec]]);
  const xs = [...new Set(results.map((m) => m.config.clients))].sort((a, b) => a - b);
  const yMax = Math.max(1, ...[...series.values()].flat().map(([, y]) => y)) * 1.1;
  const x = (v: number) => pad.l + (xs.length === 1 ? (W - pad.l - pad.r) / 2 : ((xs.indexOf(v) / (xs.length - 1)) * (W - pad.l - pad.r)));
  const y = (v: number) => H - pad.b - (v / yMax) * (H - pad.t - pad.b);
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="system-ui, sans-serif" font-size="12">`,
    `<rect width="${W}" height="${H}" fill="white"/>`,
    `<text x="${pad.l}" y="18" font-size="14" font-weight="600">Deliveries per second at the highest sustained rate (p99 &lt; 100 ms, nothing lost)</text>`,
  ];
  for (let i = 0; i <= 5; i++) {
    const v = (yMax / 5) * i;
    parts.push(`<line x1="${pad.l}" x2="${W - pad.r}" y1="${y(v)}" y2="${y(v)}" stroke="#e3e6ec"/>`);
    parts.push(`<text x="${pad.l - 8}" y="${y(v) + 4}" text-anchor="end">${Math.round(v).toLocaleString('en')}</text>`);
  }
  for (const v of xs) parts.push(`<text x="${x(v)}" y="${H - pad.b + 18}" text-anchor="middle">${v.toLocaleString('en')}</text>`);
  parts.push(`<text x="${(pad.l + W - pad.r) / 2}" y="${H - 12}" text-anchor="middle">WebSocket (or SSE) clients</text>`);
  let legend = 0;
  for (const [label, points] of series) {
    const color = COLORS[label] ?? '#111';
    const sorted = [...points].sort((a, b) => a[0] - b[0]);
    parts.push(`<polyline fill="none" stroke="${color}" stroke-width="2" points="${sorted.map(([a, b]) => `${x(a)},${y(b)}`).join(' ')}"/>`);
    for (const [a, b] of sorted) parts.push(`<circle cx="${x(a)}" cy="${y(b)}" r="4" fill="${color}"/>`);
    const ly = pad.t + 10 + legend++ * 20;
    parts.push(`<rect x="${W - pad.r + 16}" y="${ly - 9}" width="12" height="12" fill="${color}"/><text x="${W - pad.r + 34}" y="${ly + 1}">${label}</text>`);
  }
  parts.push('</svg>');
  return parts.join('\n');
}
