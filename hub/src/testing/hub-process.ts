import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { resolve } from 'node:path';
import { PROJECT_ROOT } from '../config.js';
import { TEST_PASSWORDS } from './nats-server.js';
import { TEST_JWT_SECRET } from './tokens.js';

export interface HubProcess {
  url: string;
  wsUrl: string;
  port: number;
  pid: number;
  /** Everything the hub printed, for assertions and failure reports. */
  output: string[];
  /** SIGTERM, then SIGKILL after 3 s. */
  stop(): Promise<void>;
  kill(signal?: NodeJS.Signals): Promise<void>;
}

const START_TIMEOUT_MS = 20_000;

/** Runs the real hub (hub/src/main.ts) as a child process on a free port. */
export function startHubProcess(natsUrl: string, env: Record<string, string> = {}): Promise<HubProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', resolve(PROJECT_ROOT, 'hub/src/main.ts')], {
    cwd: PROJECT_ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: {
      ...process.env,
      PORT: '0',
      HOST: '127.0.0.1',
      NATS_URL: natsUrl,
      NATS_HUB_PASSWORD: TEST_PASSWORDS.hub,
      HUB_JWT_SECRET: TEST_JWT_SECRET,
      HUB_ALLOW_ANONYMOUS: '1',
      HUB_DEMO: '0',
      ...env,
    },
  });
  const output: string[] = [];
  return new Promise((resolveStart, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`hub did not start within ${START_TIMEOUT_MS} ms:\n${output.join('\n')}`));
    }, START_TIMEOUT_MS);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`hub exited (${code}) during start:\n${output.join('\n')}`));
    });
    const onLine = (line: string) => {
      output.push(line);
      const m = /hub listening on (http:\/\/[\d.]+:(\d+))/.exec(line);
      if (!m) return;
      clearTimeout(timer);
      child.removeAllListeners('exit');
      const port = Number(m[2]);
      resolveStart({
        url: m[1]!,
        wsUrl: `ws://127.0.0.1:${port}/ws`,
        port,
        pid: child.pid!,
        output,
        stop: () => stopChild(child, 'SIGTERM'),
        kill: (signal = 'SIGKILL') => stopChild(child, signal),
      });
    };
    createInterface({ input: child.stdout! }).on('line', onLine);
    createInterface({ input: child.stderr! }).on('line', onLine);
  });
}

function stopChild(child: ChildProcess, signal: NodeJS.Signals): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((done) => {
    const kill = setTimeout(() => child.kill('SIGKILL'), 3_000);
    child.once('exit', () => {
      clearTimeout(kill);
      done();
    });
    child.kill(signal);
  });
}
