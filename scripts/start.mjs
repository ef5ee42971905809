// `npm start`: prepares what is missing (scripts/ensure.mjs), then runs the hub
// with its embedded nats-server and the demo publishers, and prints the URL.
// Ctrl-C or SIGTERM stops everything it started.
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { join } from 'node:path';
import { ensure, ROOT, SetupError, stopCurrentStep } from './ensure.mjs';

/** The hub gives itself 4 s to stop cleanly; this is the backstop after that. */
const KILL_AFTER_MS = 4500;

let hub;
let stopping = false;
const stop = (signal) => {
  if (stopping) return;
  stopping = true;
  if (!hub) {
    // Still preparing: stop the install or build under way and leave.
    stopCurrentStep(signal);
    process.exit(130);
  }
  hub.kill(signal);
  setTimeout(() => hub.kill('SIGKILL'), KILL_AFTER_MS).unref();
};
process.on('SIGINT', () => stop('SIGINT'));
process.on('SIGTERM', () => stop('SIGTERM'));

try {
  await ensure();
} catch (err) {
  console.error(`[pulse] ${err instanceof SetupError ? err.message : err.stack}`);
  process.exit(1);
}

const env = {
  ...process.env,
  HUB_ALLOW_ANONYMOUS: process.env.HUB_ALLOW_ANONYMOUS ?? '1',
  HUB_DEMO: process.env.HUB_DEMO ?? '1',
  HUB_OPS_PUBLIC: process.env.HUB_OPS_PUBLIC ?? '1',
};

hub = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'hub/src/main.ts')], {
  cwd: ROOT,
  env,
  stdio: ['ignore', 'pipe', 'inherit'],
});

createInterface({ input: hub.stdout }).on('line', (line) => {
  console.log(line);
  const m = /hub listening on (\S+)/.exec(line);
  if (m) {
    const url = m[1].replace('://0.0.0.0:', '://127.0.0.1:');
    console.log(`\n  Pulse is running: open ${url}\n  (the demo room is at ${url}/rooms/demo; Ctrl-C stops the hub, nats-server and the demo publishers)\n`);
  }
});

hub.on('exit', (code, signal) => process.exit(code ?? (signal ? 0 : 1)));
