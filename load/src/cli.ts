import { mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { capacity, players, publishers, viewers, type ScenarioContext } from './scenarios.js';
import { abuse } from './abuse.js';
import { collab } from './collab.js';
import { stormPair } from './reconnect-storm.js';
import { presenceLoad } from './presence-load.js';
import { soak, type SoakResult } from './soak.js';
import { REPORTED_SOAK_MINUTES, soakSection, writeSoakSection } from './soak-report.js';
import { startSystem } from './system.js';

const USAGE = `npm run load -- <scenario> [options]

scenarios
  viewers      N viewers of one room on --transport ws|sse|poll, room events at --rate msg/s
  fanout       viewers over WebSocket: one room event stream to N subscribers
  publishers   --publishers M sending --rate samples/s each over --series names
  players      --players P in --rooms K rooms, each sending inputs at 20 Hz
  capacity     --clients viewers while --samples samples/s are rolled up
  abuse        --clients honest viewers counting every message, quiet and then
               beside hostile clients; reports loss, p99 and the hub's memory
  storm        --clients of the client library while the hub restarts, then bare
               ws clients while a bare relay restarts: time until all are back
  presence     --clients viewers of a room timing its messages, quiet, while a
               --crowd joins, and while a dead hub's --crowd members are swept
  collab       --editors N y-websocket providers typing into one document at --rate
               edits/s each, --readers M following it: convergence time and
               bytes per edit
  soak         a local cluster (as npm run cluster) for --minutes: --clients
               viewers (ws, sse, poll) counting every room event, --players,
               metric samples; a hub or NATS node SIGKILLed every --kill-every
               seconds and restarted; reports loss, duplicates, reconnect
               times and memory over time

options
  --clients N      viewers (default 1000; soak 300)          --transport ws|sse|poll (default ws)
  --rate R         messages/s, or samples/s per publisher (default 10)
  --seconds S      how long to publish (default 10)  --publishers M (default 4)
  --series K       metric names (default 20)         --players P (default 100; soak 20)
  --rooms K        rooms for players (default 2)     --samples N (default 50000)
  --hub-workers N  HUB_WORKERS of the hub under test (default 1)
  --load-workers N processes holding the clients (default 2)
  --recovery S     abuse: seconds the hub may take to let go after the attack (default 90)
  --crowd N        presence: clients joining, and members of the hub that dies (default 2000)
  --minutes M      soak: how long (default 10)     --kill-every S  soak: seconds between faults (default 60)
  --report FILE    soak: write the report's soak section from a results file, running nothing
  --editors N      collab: editors (default 10)    --readers M  collab: readers (default 50)

Starts its own nats-server and hub (soak: its own cluster), prints progress,
writes load/results/<scenario>-<time>.json.`;

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

const { positionals, values } = parseArgs({
  allowPositionals: true,
  options: {
    clients: { type: 'string' },
    transport: { type: 'string', default: 'ws' },
    rate: { type: 'string', default: '10' },
    seconds: { type: 'string', default: '10' },
    publishers: { type: 'string', default: '4' },
    series: { type: 'string', default: '20' },
    players: { type: 'string' },
    rooms: { type: 'string', default: '2' },
    samples: { type: 'string', default: '50000' },
    'hub-workers': { type: 'string', default: '1' },
    'load-workers': { type: 'string', default: '2' },
    recovery: { type: 'string', default: '90' },
    crowd: { type: 'string', default: '2000' },
    minutes: { type: 'string', default: '10' },
    'kill-every': { type: 'string', default: '60' },
    report: { type: 'string' },
    editors: { type: 'string', default: '10' },
    readers: { type: 'string', default: '50' },
    help: { type: 'boolean', default: false },
  },
});

/** A numeric option; `fallback` where the option was not given and has no default of its own. */
function num(name: keyof typeof values, min = 1, fallback?: number): number {
  const given = values[name];
  if (given === undefined && fallback !== undefined) return fallback;
  const n = Number(given);
  if (!Number.isFinite(n) || n < min) {
    console.error(`--${name} must be a number of at least ${min}`);
    process.exit(2);
  }
  return n;
}

async function main(): Promise<void> {
  const scenario = positionals[0];
  if (values.help || !scenario) {
    console.log(USAGE);
    process.exit(scenario ? 0 : 2);
  }
  if (scenario === 'soak' && values.report) {
    const result = JSON.parse(readFileSync(values.report, 'utf8')) as SoakResult;
    writeSoakSection(ROOT, soakSection(result, statSync(values.report).mtime, `npm run load -- soak --minutes ${result.minutes}`));
    console.log('report: the soak section of docs/benchmarks.md');
    return;
  }
  const transport = values.transport as 'ws' | 'sse' | 'poll';
  if (!['ws', 'sse', 'poll'].includes(transport)) {
    console.error('--transport must be ws, sse or poll');
    process.exit(2);
  }
  const runners: Record<string, (ctx: ScenarioContext) => Promise<object>> = {
    viewers: (ctx) => viewers(ctx, { transport, clients: num('clients', 1, 1000), rate: num('rate', 0.1), seconds: num('seconds') }),
    fanout: (ctx) => viewers(ctx, { transport: 'ws', clients: num('clients', 1, 1000), rate: num('rate', 0.1), seconds: num('seconds') }),
    publishers: (ctx) => publishers(ctx, { publishers: num('publishers'), rate: num('rate'), series: num('series'), seconds: num('seconds') }),
    players: (ctx) => players(ctx, { players: num('players', 1, 100), rooms: num('rooms'), seconds: num('seconds') }),
    capacity: (ctx) => capacity(ctx, { clients: num('clients', 1, 1000), samplesPerSec: num('samples'), rate: num('rate', 0.1), seconds: num('seconds') }),
    presence: (ctx) => presenceLoad(ctx, { clients: num('clients', 1, 1000), crowd: num('crowd'), rate: num('rate', 0.1) }),
    collab: (ctx) => collab(ctx, { editors: num('editors'), readers: num('readers', 0), rate: num('rate', 0.1), seconds: num('seconds') }),
    abuse: (ctx) => abuse(ctx, { clients: num('clients', 1, 1000), rate: num('rate', 0.1), seconds: num('seconds'), recoverySeconds: num('recovery', 0) }),
  };
  // These start their own servers: the storm on one nats-server, the soak a whole cluster.
  const ownServers: Record<string, (ctx: ScenarioContext) => Promise<object>> = {
    storm: (ctx) => stormPair({ clients: num('clients', 1, 1000), loadWorkers: ctx.loadWorkers, log: ctx.log, progress: ctx.progress }),
    soak: (ctx) =>
      soak({
        minutes: num('minutes', 0.5),
        viewers: num('clients', 1, 300),
        players: num('players', 0, 20),
        rate: num('rate', 0.1),
        killEvery: num('kill-every', 10),
        loadWorkers: ctx.loadWorkers,
        log: ctx.log,
        progress: ctx.progress,
      }),
  };
  Object.assign(runners, ownServers);
  const run = runners[scenario];
  if (!run) {
    console.error(`unknown scenario "${scenario}"\n\n${USAGE}`);
    process.exit(2);
  }
  const tty = process.stdout.isTTY;
  const ctx: Omit<ScenarioContext, 'sys'> = {
    loadWorkers: num('load-workers'),
    log: (line) => console.log(`${tty ? '\r\x1b[2K' : ''}${line}`),
    progress: (line) => (tty ? process.stdout.write(`\r\x1b[2K${line}`) : undefined),
  };
  let result: object;
  if (scenario in ownServers) {
    result = await run({ ...ctx, sys: undefined as never });
  } else {
    console.log(`starting nats-server and the hub (HUB_WORKERS=${num('hub-workers')})…`);
    const sys = await startSystem(num('hub-workers'));
    try {
      result = await run({ ...ctx, sys });
    } finally {
      await sys.stop();
    }
  }
  const dir = fileURLToPath(new URL('../results/', import.meta.url));
  mkdirSync(dir, { recursive: true });
  const file = `${dir}${scenario}-${new Date().toISOString().replace(/[:.]/g, '-')}.json`;
  writeFileSync(file, JSON.stringify(result, null, 2));
  ctx.log(JSON.stringify(result, null, 2));
  ctx.log(`results: ${file}`);
  if (scenario === 'soak' && (result as SoakResult).minutes >= REPORTED_SOAK_MINUTES) {
    writeSoakSection(ROOT, soakSection(result as SoakResult, new Date(), `npm run load -- ${process.argv.slice(2).join(' ')}`));
    ctx.log('report: the soak section of docs/benchmarks.md');
  }
  const r = result as { lost?: number; duplicated?: number };
  if ((r.lost ?? 0) > 0 || (r.duplicated ?? 0) > 0) process.exitCode = 1;
}

main().catch((err: unknown) => {
  console.error('[load] failed:', err);
  process.exit(1);
});
