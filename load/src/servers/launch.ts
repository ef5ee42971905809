import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

export type ServerKind = 'hub' | 'bare-ws' | 'socketio';

export interface RunningServer {
  kind: ServerKind;
  url: string;
  pid: number;
  output: string[];
  stop(): Promise<void>;
}

const ROOT = fileURLToPath(new URL('../../..', import.meta.url));
const SCRIPTS: Record<ServerKind, string> = {
  hub: `${ROOT}hub/src/main.ts`,
  'bare-ws': fileURLToPath(new URL('./bare-ws.ts', import.meta.url)),
  socketio: fileURLToPath(new URL('./socketio.ts', import.meta.url)),
};
const START_TIMEOUT_MS = 30_000;

/**
 * Starts a server under test as its own process on a free port, relaying
 * `subject` from NATS (the hub through its rooms stream, the baselines
 * directly), and resolves once it listens.
 */
export function launchServer(kind: ServerKind, nats: { url: string; user: string; pass: string }, subject: string, env: Record<string, string> = {}): Promise<RunningServer> {
  const child = spawn(process.execPath, ['--import', 'tsx', SCRIPTS[kind]], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: {
      ...process.env,
      PORT: '0',
      HOST: '127.0.0.1',
      NATS_URL: nats.url,
      NATS_USER: nats.user,
      NATS_PASS: nats.pass,
      NATS_HUB_PASSWORD: nats.pass,
      SUBJECT: subject,
      HUB_DEMO: '0',
      HUB_ALLOW_ANONYMOUS: '1',
      HUB_JWT_SECRET: 'load-test-secret',
      HUB_MAX_CONNECTIONS: '100000',
      ...env,
    },
  });
  const output: string[] = [];
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${kind} did not start within ${START_TIMEOUT_MS} ms:\n${output.join('\n')}`));
    }, START_TIMEOUT_MS);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${kind} exited (${code}) during start:\n${output.join('\n')}`));
    });
    const onLine = (line: string) => {
      output.push(line);
      if (output.length > 200) output.shift();
      const m = /listening on (http:\/\/[\d.]+:\d+)/.exec(line);
      if (!m) return;
      clearTimeout(timer);
      child.removeAllListeners('exit');
      resolve({ kind, url: m[1]!, pid: child.pid!, output, stop: () => stop(child) });
    };
    createInterface({ input: child.stdout! }).on('line', onLine);
    createInterface({ input: child.stderr! }).on('line', onLine);
  });
}

function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((done) => {
    const kill = setTimeout(() => child.kill('SIGKILL'), 5_000);
    child.once('exit', () => {
      clearTimeout(kill);
      done();
    });
    child.kill('SIGTERM');
  });
}
