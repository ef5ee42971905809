import { connect, type NatsConnection } from 'nats';
import { metricsSubject, type MessageFrame, type Rollup } from '@pulse/hub/protocol';
import { startHubProcess, startTestNats, TEST_PASSWORDS, type HubProcess, type TestNats } from '@pulse/hub/testing';
import { cpuSeconds } from './proc-stats.js';

/** Samples per NATS message, as a batching publisher sends them (a JSON array of numbers). */
export const INGEST_BATCH = 100;
/** Metric names per step, spread over the partitions. */
const NAMES = 64;
/** A rate is sustained when every sample is counted exactly and the last window is stored this soon after publishing stops. */
const MAX_LAG_MS = 3_000;
/** How long to wait for the last windows before calling a step failed. */
const SETTLE_MS = 20_000;
const TICK_MS = 10;

export interface IngestStep {
  /** Samples per second asked for, and sent. */
  rate: number;
  sentPerSec: number;
  published: number;
  /** Samples in the stored rollups of the step's untagged series. */
  counted: number;
  /** Windows stored more than once. */
  duplicates: number;
  /** From the last sample sent to the last window stored; null when not every sample was counted within SETTLE_MS. */
  lagMs: number | null;
  ok: boolean;
  /** CPU seconds of each hub process and of nats-server, from the step's start until the hubs had counted every sample. */
  hubCpuSeconds: number[];
  natsCpuSeconds: number;
  /** Samples each hub counted in the windows it stored (pulse_samples_total), when the step ended. */
  hubSamples: number[];
}

export interface IngestResult {
  hubs: number;
  batch: number;
  /** A fixed rate every configuration sustains: CPU per sample. */
  fixed: IngestStep;
  steps: IngestStep[];
  best: IngestStep | undefined;
}

export interface IngestOptions {
  hubs: number;
  fixedRate: number;
  stepSeconds: number;
  /** Rates tried in turn until one fails; then one between the last pass and the failure. */
  rates: number[];
  log: (line: string) => void;
}

/**
 * Ingest as services do it: batches of samples on `metrics.<name>`, into N
 * hub processes on one nats-server. For each rate, counts the samples in the
 * rollups the hubs stored, against what was sent, and times how long after
 * the last sample the last window was stored.
 */
export async function measureIngest(o: IngestOptions): Promise<IngestResult> {
  const nats = await startTestNats();
  const hubs: HubProcess[] = [];
  let service: NatsConnection | undefined;
  try {
    for (let i = 0; i < o.hubs; i++) hubs.push(await startHubProcess(nats.url, {}));
    await balanced(hubs);
    service = await connect({ servers: nats.url, user: 'service', pass: TEST_PASSWORDS.service, name: 'pulse-bench-ingest' });
    const run = (rate: number) => step(nats, hubs, service!, rate, o.stepSeconds);
    const fixed = await run(o.fixedRate);
    o.log(`[ingest ${o.hubs} hub${o.hubs > 1 ? 's' : ''}] fixed ${describe(fixed)}`);
    const steps: IngestStep[] = [];
    let pass: IngestStep | undefined;
    for (const rate of o.rates) {
      const s = await run(rate);
      steps.push(s);
      o.log(`[ingest ${o.hubs} hub${o.hubs > 1 ? 's' : ''}] ${describe(s)}`);
      if (!s.ok) break;
      pass = s;
    }
    const fail = steps.find((s) => !s.ok);
    if (pass && fail) {
      const s = await run(Math.round((pass.rate + fail.rate) / 2));
      steps.push(s);
      o.log(`[ingest ${o.hubs} hub${o.hubs > 1 ? 's' : ''}] ${describe(s)}`);
      if (s.ok) pass = s;
    }
    return { hubs: o.hubs, batch: INGEST_BATCH, fixed, steps, best: pass };
  } finally {
    await service?.close();
    await Promise.allSettled(hubs.map((h) => h.stop()));
    await nats.stop();
  }
}

function describe(s: IngestStep): string {
  const cpu = s.hubCpuSeconds.reduce((a, b) => a + b, 0);
  return `${s.rate.toLocaleString('en')} samples/s: ${s.ok ? 'ok' : 'FAILED'}, counted ${s.counted.toLocaleString('en')} of ${s.published.toLocaleString('en')}, ${s.duplicates} stored twice, lag ${s.lagMs ?? '–'} ms, hub CPU ${((cpu / s.published) * 1e6).toFixed(2)} µs/sample, nats-server ${((s.natsCpuSeconds / s.published) * 1e6).toFixed(2)} µs/sample`;
}

/** Waits until the hubs share the partitions evenly, so that a step measures them all at work. */
async function balanced(hubs: HubProcess[]): Promise<void> {
  for (let i = 0; i < 300; i++) {
    const held = await Promise.all(hubs.map(async (h) => Number(/^pulse_rollup_partitions (\d+)$/m.exec(await metrics(h))?.[1] ?? 0)));
    if (held.reduce((a, b) => a + b, 0) === 32 && Math.max(...held) - Math.min(...held) <= 1) return;
    await sleep(100);
  }
  throw new Error('the hubs did not share the partitions within 30 s');
}

async function step(nats: TestNats, hubs: HubProcess[], service: NatsConnection, rate: number, seconds: number): Promise<IngestStep> {
  const names = Array.from({ length: NAMES }, (_, i) => `bench.ingest.${Date.now().toString(36)}.${rate}.n${i}`);
  const subjects = names.map((n) => metricsSubject(n));
  const payload = JSON.stringify(Array.from({ length: INGEST_BATCH }, (_, i) => i % 100));
  const hubCpu = hubs.map((h) => cpuSeconds(h.pid));
  const natsCpu = cpuSeconds(nats.pid);
  const hubSamples = await Promise.all(hubs.map(samplesTotal));
  const started = performance.now();
  let messages = 0;
  let next = 0;
  while (performance.now() - started < seconds * 1000) {
    const due = Math.floor(((performance.now() - started) / 1000) * (rate / INGEST_BATCH));
    for (; messages < due; messages++) service.publish(subjects[next++ % NAMES]!, payload);
    await service.flush();
    await sleep(TICK_MS);
  }
  await service.flush();
  const sentAt = performance.now();
  const published = messages * INGEST_BATCH;
  // Done when the hubs' own counts (a cheap scrape) reach what was sent; the stored windows are read after, off the clock.
  let lagMs: number | null = null;
  let hubCounts = hubSamples;
  while (performance.now() - sentAt < SETTLE_MS) {
    hubCounts = (await Promise.all(hubs.map(samplesTotal))).map((n, i) => n - hubSamples[i]!);
    if (hubCounts.reduce((a, b) => a + b, 0) >= published) {
      lagMs = Math.round(performance.now() - sentAt);
      break;
    }
    await sleep(50);
  }
  const hubCpuSeconds = hubs.map((h, i) => cpuSeconds(h.pid) - hubCpu[i]!);
  const natsCpuSeconds = cpuSeconds(nats.pid) - natsCpu;
  const { counted, duplicates } = await storedCounts(hubs[0]!, names);
  return {
    rate,
    sentPerSec: Math.round(published / ((sentAt - started) / 1000)),
    published,
    counted,
    duplicates,
    lagMs,
    ok: counted === published && duplicates === 0 && lagMs !== null && lagMs <= MAX_LAG_MS,
    hubCpuSeconds,
    natsCpuSeconds,
    hubSamples: hubCounts,
  };
}

/** Samples in the stored rollups of `names` (each untagged, so each sample once), and windows stored twice. */
async function storedCounts(hub: HubProcess, names: string[]): Promise<{ counted: number; duplicates: number }> {
  let counted = 0;
  let duplicates = 0;
  for (const name of names) {
    const body = (await (await fetch(`${hub.url}/api/history?ch=metrics:${encodeURIComponent(name)}&since=0&limit=2000`)).json()) as { messages: Array<MessageFrame<Rollup>> };
    const windows = new Set<number>();
    for (const m of body.messages) {
      if (windows.has(m.data.t)) duplicates++;
      windows.add(m.data.t);
      counted += m.data.count;
    }
  }
  return { counted, duplicates };
}

async function samplesTotal(hub: HubProcess): Promise<number> {
  return Number(/^pulse_samples_total (\d+)$/m.exec(await metrics(hub))?.[1] ?? 0);
}

async function metrics(hub: HubProcess): Promise<string> {
  return (await fetch(`${hub.url}/metrics`)).text();
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
