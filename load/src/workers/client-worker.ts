import { Histogram } from '../histogram.js';
import { clockMs, readProbe } from '../probe.js';
import type { PlayerEcho, RunReport, WorkerCommand, WorkerEvent } from './messages.js';
import { openClient, type ClientHandle, type Target } from './targets.js';

/**
 * One load process: holds a share of the clients, checks every message it
 * receives by run and index (lost, duplicated) and records its latency.
 * Started by the load tool with child_process.fork; talks over IPC.
 */
interface ClientState {
  target: Target;
  handle: ClientHandle;
  open: boolean;
  received: number;
  duplicated: number;
  lastIndex: number;
  /** Reconnected and subscribed again since the last `mark`. */
  back: boolean;
  /** A player's inputs seen applied in the game's state, since the run started. */
  echoes: Histogram;
}

const clients: ClientState[] = [];
let outages: Array<[Target, number]> = [];
/** A client not connected and subscribed by then counts as failed, so one stuck connection cannot hold up the run. */
const CONNECT_TIMEOUT_MS = 20_000;
let run = -1;
let latency = new Histogram();

function send(e: WorkerEvent): void {
  process.send!(e);
}

async function connect(c: Extract<WorkerCommand, { cmd: 'connect' }>): Promise<void> {
  let connected = 0;
  let failed = 0;
  let firstError: string | undefined;
  let next = 0;
  const progress = setInterval(() => send({ ev: 'progress', connected, failed }), 500);
  const one = () =>
    new Promise<void>((done) => {
      const state: ClientState = { target: c.target, handle: undefined as unknown as ClientHandle, open: false, received: 0, duplicated: 0, lastIndex: -1, back: false, echoes: new Histogram() };
      let settled = false;
      const settle = () => {
        if (!settled) {
          settled = true;
          clearTimeout(timer);
          done();
        }
      };
      const timer = setTimeout(() => {
        firstError ??= `not subscribed within ${CONNECT_TIMEOUT_MS / 1000} s`;
        failed++;
        settle();
      }, CONNECT_TIMEOUT_MS);
      state.handle = openClient(c.target, c.url, c.ch, {
        ready: () => {
          state.open = true;
          connected++;
          settle();
        },
        payload: (text) => {
          const p = readProbe(text);
          if (!p || p.r !== run) return;
          latency.record(clockMs() - p.t);
          // Each server keeps a channel's order, so an index not above the last is a duplicate.
          if (p.i <= state.lastIndex) state.duplicated++;
          else state.lastIndex = p.i;
          state.received++;
        },
        failed: (reason) => {
          firstError ??= reason;
          if (!settled) failed++;
          settle();
        },
        closed: () => {
          state.open = false;
          settle();
        },
        echo: (ms) => state.echoes.record(ms),
        resubscribed: (outageMs) => {
          state.back = true;
          if (outageMs !== undefined) outages.push([c.target, outageMs]);
        },
      });
      clients.push(state);
    });
  const lanes = Array.from({ length: Math.min(c.concurrency, c.count) }, async () => {
    while (next < c.count) {
      next++;
      await one();
    }
  });
  await Promise.all(lanes);
  clearInterval(progress);
  send({ ev: 'connected', connected, failed, ...(firstError !== undefined && { firstError }) });
}

function report(expected: number): RunReport {
  let delivered = 0;
  let duplicated = 0;
  let lost = 0;
  for (const s of clients) {
    delivered += s.received;
    duplicated += s.duplicated;
    lost += Math.max(0, expected - (s.received - s.duplicated));
  }
  const worst = clients
    .filter((s) => s.duplicated > 0 || s.received - s.duplicated < expected)
    .sort((a, b) => a.received - a.duplicated - (b.received - b.duplicated) || b.duplicated - a.duplicated)
    .slice(0, 20)
    .map((s) => ({ target: s.target, received: s.received, duplicated: s.duplicated, lastIndex: s.lastIndex, open: s.open }));
  return { clients: clients.length, delivered, duplicated, lost, latency: latency.toSparse(), worst };
}

process.on('message', (m: WorkerCommand) => {
  switch (m.cmd) {
    case 'connect':
      void connect(m);
      return;
    case 'run':
      run = m.run;
      latency = new Histogram();
      for (const s of clients) {
        s.received = 0;
        s.duplicated = 0;
        s.lastIndex = -1;
        s.echoes = new Histogram();
      }
      return;
    case 'report':
      send({ ev: 'report', report: report(m.expected) });
      return;
    case 'mark':
      for (const s of clients) s.back = false;
      return;
    case 'count-back':
      send({ ev: 'back', back: clients.filter((s) => s.back).length, clients: clients.length });
      return;
    case 'outages':
      send({ ev: 'outages', outages });
      outages = [];
      return;
    case 'echoes':
      send({ ev: 'echoes', echoes: clients.filter((s) => s.echoes.total > 0).map((s): PlayerEcho => ({ echoes: s.echoes.total, p50: s.echoes.quantile(0.5), p99: s.echoes.quantile(0.99) })) });
      return;
    case 'close':
      for (const s of clients) s.handle.close();
      setTimeout(() => process.exit(0), 200).unref();
      return;
  }
});
process.on('disconnect', () => process.exit(0));
