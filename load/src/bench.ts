import { mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { fileURLToPath } from 'node:url';
import { connect } from 'nats';
import { startTestNats, TEST_PASSWORDS } from '@pulse/hub/testing';
import { measure, type Config, type Measurement } from './measure.js';
import { summarize, writeReport, type ReportInput } from './report.js';
import { capacity, type CapacityResult } from './scenarios.js';
import { startSystem } from './system.js';
import { measureIngest, type IngestResult } from './ingest.js';
import { ingestHeadline, INGEST_TARGET_PER_SEC } from './ingest-report.js';
import { stormPair, type StormPair } from './reconnect-storm.js';

/**
 * `npm run bench [-- --quick] [-- --only <label>] [-- --resume <partial.json>] [-- --report <results.json>]`:
 * the fixed matrix. In turn, each on a fresh nats-server: the hub (WebSocket,
 * then SSE, then with two workers), a bare `ws` relay and a
 * Socket.IO 4 relay, each relaying the same NATS subject to the same kind of
 * clients; for each, the highest sustainable rate and what it costs. Then
 * ingest: the samples per second one and two hub processes roll up exactly,
 * and the CPU each sample costs. Prints a
 * table and the ratios, writes results JSON, and (without --quick) the
 * report docs/benchmarks.md with its chart. The last line printed is one
 * JSON object with the headline ratios. `--report` writes the report again
 * from a finished full run's results, measuring nothing.
 */
const argv = process.argv.slice(2);
const quick = argv.includes('--quick');
const only = argv.includes('--only') ? argv[argv.indexOf('--only') + 1] : undefined;
const resume = argv.includes('--resume') ? argv[argv.indexOf('--resume') + 1] : undefined;
const rerender = argv.includes('--report') ? argv[argv.indexOf('--report') + 1] : undefined;
const ROOT = fileURLToPath(new URL('../..', import.meta.url));
/**
 * The headline size: one fan-out to 1,000 clients takes a few milliseconds on
 * every server here, far below the p99 limit, so the best rate measures
 * throughput. At 5,000 one fan-out already takes about the limit and the
 * best rate flips from run to run.
 */
const HEADLINE_CLIENTS = 1_000;
/** Runs of each server at the headline size; the headline is their median. */
const REPEATS = 3;
/** Deliveries per second of the fixed-rate step, for CPU per delivery: sustained by every server at 1,000 clients. */
const FIXED_DELIVERIES_PER_SEC = 20_000;
/** Clients of the reconnect storm (issue 13's figure), in the quick run too. */
const STORM_CLIENTS = 5_000;
/** Long enough that a scheduling hiccup weighs little on the CPU it measures. */
const FIXED_SECONDS = 6;

function matrix(): Config[] {
  const servers = (clients: number, repeat?: number): Config[] => [
    { label: 'hub ws', server: 'hub', target: 'pulse-ws', clients, repeat },
    { label: 'bare ws', server: 'bare-ws', target: 'bare-ws', clients, repeat },
    { label: 'socket.io', server: 'socketio', target: 'socketio', clients, repeat },
    { label: 'hub sse', server: 'hub', target: 'pulse-sse', clients, repeat },
  ];
  // Run by run rather than server by server, so a machine that drifts during the run weighs on every server alike.
  const rows: Config[] = Array.from({ length: REPEATS }, (_, i) => servers(HEADLINE_CLIENTS, i)).flat();
  if (!quick) {
    rows.push({ label: 'hub ws, 2 workers', server: 'hub', target: 'pulse-ws', clients: HEADLINE_CLIENTS, env: { HUB_WORKERS: '2' } });
    for (const clients of [5_000, 10_000]) {
      rows.push(...servers(clients));
      rows.push({ label: 'hub ws, 2 workers', server: 'hub', target: 'pulse-ws', clients, env: { HUB_WORKERS: '2' } });
    }
  }
  return rows.filter((r) => only === undefined || r.label === only);
}

interface RunFile {
  machine: ReportInput['machine'];
  quick: boolean;
  seconds: number;
  results: Measurement[];
  capacity?: CapacityResult;
  ingest?: IngestResult[];
  storm?: StormPair;
  /** Whether some of the measurements were reused from an earlier run (--resume). */
  resumed?: boolean;
}

/** The report of a finished full run, from its results file: for a report whose wording changed since. */
function reportAgain(file: string): void {
  const run = JSON.parse(readFileSync(file, 'utf8')) as RunFile;
  if (run.quick) throw new Error(`${file} is a --quick run: the report needs the full matrix`);
  const summary = summarize(run.results, HEADLINE_CLIENTS, run.capacity, run.storm);
  writeReport(ROOT, { ...run, capacity: run.capacity, ingest: run.ingest ?? [], storm: run.storm, finished: statSync(file).mtime, resumed: run.resumed ?? false, summary, command: 'npm run bench' });
  console.log(summary.table);
  console.log('report: docs/benchmarks.md, docs/benchmarks.svg');
  console.log(JSON.stringify(summary.headline));
}

async function main(): Promise<void> {
  if (rerender) return reportAgain(rerender);
  const started = Date.now();
  mkdirSync(`${ROOT}load/results`, { recursive: true });
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  // Each finished measurement is saved at once, so a long run that stops can go on with --resume <file>.
  const partial = `${ROOT}load/results/bench-${quick ? 'quick-' : ''}${stamp}.partial.json`;
  const resumed = resume ? (JSON.parse(readFileSync(resume, 'utf8')) as Partial<RunFile>) : undefined;
  const results: Measurement[] = resumed?.results ?? [];
  const tty = process.stdout.isTTY;
  const log = (line: string) => console.log(`${tty ? '\r\x1b[2K' : ''}${line}`);
  let lastProgress = 0;
  const progress = (line: string) => {
    if (tty) process.stdout.write(`\r\x1b[2K${line}`);
    else if (Date.now() - lastProgress > 2_000) {
      lastProgress = Date.now();
      console.log(line);
    }
  };
  for (const config of matrix()) {
    if (results.some((r) => r.config.label === config.label && r.config.clients === config.clients && r.config.repeat === config.repeat)) continue;
    // A fresh nats-server each time: what one server under test leaves in JetStream (presence entries,
    // streams) must not weigh on the next.
    const nats = await startTestNats();
    const publisher = await connect({ servers: nats.url, user: 'game', pass: TEST_PASSWORDS.game, name: 'pulse-bench-publisher' });
    try {
      results.push(
        await measure(config, {
          nats: { url: nats.url, user: 'hub', pass: TEST_PASSWORDS.hub, pid: nats.pid },
          publisher,
          loadWorkers: 2,
          stepSeconds: quick ? 2.5 : 4,
          drainMs: 1_500,
          // Three refinements narrow the best rate to within about 9%, below the spread between runs.
          plan: { start: 4, growth: 2, refinements: 3, max: 2_000, min: 0.5 },
          fixedRate: FIXED_DELIVERIES_PER_SEC / config.clients,
          fixedSeconds: FIXED_SECONDS,
          log,
          progress,
        }),
      );
      writeFileSync(partial, JSON.stringify({ results, capacity: resumed?.capacity, ingest: resumed?.ingest }, null, 2));
    } finally {
      await publisher.close();
      await nats.stop();
    }
  }
  const capacityRun = quick || only !== undefined ? undefined : (resumed?.capacity ?? (await runCapacity(log, progress)));
  if (capacityRun) writeFileSync(partial, JSON.stringify({ results, capacity: capacityRun }, null, 2));
  const storm = only !== undefined && only !== 'storm' ? undefined : (resumed?.storm ?? (await stormPair({ clients: STORM_CLIENTS, loadWorkers: 2, log, progress })));
  if (storm) writeFileSync(partial, JSON.stringify({ results, capacity: capacityRun, storm }, null, 2));
  const ingest = only !== undefined && only !== 'ingest' ? [] : (resumed?.ingest ?? (await runIngest(log)));
  const summary = summarize(results, HEADLINE_CLIENTS, capacityRun, storm);
  const machine = { cpus: cpus().length, cpu: cpus()[0]?.model ?? 'unknown', memGiB: Math.round(totalmem() / 2 ** 30), node: process.version };
  const seconds = Math.round((Date.now() - started) / 1000);
  const file = `${ROOT}load/results/bench-${quick ? 'quick-' : ''}${stamp}.json`;
  writeFileSync(file, JSON.stringify({ machine, quick, seconds, resumed: resume !== undefined, summary, results, capacity: capacityRun, storm, ingest }, null, 2));
  console.log(summary.table);
  console.log(`results: ${file} (${seconds} s)`);
  if (!quick && only === undefined) {
    writeReport(ROOT, { machine, finished: new Date(), seconds, resumed: resume !== undefined, results, summary, capacity: capacityRun, storm, ingest, command: 'npm run bench' });
    console.log('report: docs/benchmarks.md, docs/benchmarks.svg');
  }
  console.log(JSON.stringify({ ...summary.headline, ingest: ingest.length ? ingestHeadline(ingest) : null }));
}

/** Samples per second into one hub process, then two, each on a fresh nats-server. */
async function runIngest(log: (l: string) => void): Promise<IngestResult[]> {
  const rates = quick ? [INGEST_TARGET_PER_SEC, 4 * INGEST_TARGET_PER_SEC] : [100_000, 200_000, 400_000, 800_000, 1_600_000, 3_200_000];
  const out: IngestResult[] = [];
  for (const hubs of [1, 2]) out.push(await measureIngest({ hubs, fixedRate: INGEST_TARGET_PER_SEC, stepSeconds: quick ? 4 : 6, rates, log }));
  return out;
}

/** One machine, HUB_WORKERS=2: 10,000 WebSocket viewers while 50,000 metric samples a second are rolled up. */
async function runCapacity(log: (l: string) => void, progress: (l: string) => void): Promise<CapacityResult> {
  log('[capacity] 10,000 viewers and 50,000 samples/s, HUB_WORKERS=2');
  const sys = await startSystem(2);
  try {
    return await capacity({ sys, loadWorkers: 2, log, progress }, { clients: 10_000, samplesPerSec: 50_000, rate: 1, seconds: 20 });
  } finally {
    await sys.stop();
  }
}

main().catch((err: unknown) => {
  console.error('[bench] failed:', err);
  process.exit(1);
});
