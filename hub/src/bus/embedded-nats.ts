import { spawn, type ChildProcess } from 'node:child_process';
import { accessSync, constants, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { createInterface } from 'node:readline';

/**
 * Runs nats-server with the project's nats.conf as a child process: used by the
 * hub when NATS_URL is unset, and by every test that needs a real server.
 */
export interface EmbeddedNatsOptions {
  configFile: string;
  storeDir: string;
  host?: string;
  /** 0 or -1 picks a free port; the chosen one is read back from the server's log. */
  port?: number;
  passwords: { hub: string; service: string; game: string; observer: string };
  binary?: string;
  /** Receives every line the server writes after start-up. */
  log?: (line: string) => void;
  /**
   * Where the server's pid is kept while it runs. A server left behind by a
   * hub that was killed outright is stopped before a new one starts.
   */
  pidFile?: string;
  /**
   * Runs the server in its own process group, so a Ctrl-C at the terminal
   * reaches only the hub, which stops the server after draining. Tests leave
   * it in theirs, so killing a test run's group takes its servers along.
   */
  ownProcessGroup?: boolean;
  /** More of the config's variables, such as a cluster node's (deploy/nats-cluster.conf). */
  env?: Record<string, string>;
}

export interface EmbeddedNats {
  url: string;
  port: number;
  pid: number;
  stop(): Promise<void>;
  /** SIGKILL: the server gets no chance to flush or say goodbye, as when its machine dies. */
  kill(): Promise<void>;
}

const READY_TIMEOUT_MS = 10_000;
const STOP_GRACE_MS = 3_000;

export class NatsServerMissingError extends Error {
  readonly code = 'nats_server_missing';
}

export async function startEmbeddedNats(opts: EmbeddedNatsOptions): Promise<EmbeddedNats> {
  mkdirSync(opts.storeDir, { recursive: true });
  if (opts.pidFile) await stopLeftover(opts.pidFile, opts.configFile);
  const host = opts.host ?? '127.0.0.1';
  const binary = opts.binary ?? 'nats-server';
  if (!onPath(binary)) {
    throw new NatsServerMissingError('nats-server is not installed: install it (Debian: apt-get install nats-server) or set NATS_URL to an existing server');
  }
  const [command, args] = withParentDeathSignal(binary, ['-c', opts.configFile]);
  const child = spawn(command, args, {
    detached: opts.ownProcessGroup ?? false,
    stdio: ['ignore', 'ignore', 'pipe'],
    env: {
      ...process.env,
      NATS_HOST: host,
      NATS_PORT: String(opts.port && opts.port > 0 ? opts.port : -1),
      NATS_STORE_DIR: opts.storeDir,
      NATS_HUB_PASSWORD: opts.passwords.hub,
      NATS_SERVICE_PASSWORD: opts.passwords.service,
      NATS_GAME_PASSWORD: opts.passwords.game,
      NATS_OBSERVER_PASSWORD: opts.passwords.observer,
      ...opts.env,
    },
  });
  const port = await waitReady(child, opts.log);
  if (opts.pidFile) writeFileSync(opts.pidFile, String(child.pid));
  return {
    url: `nats://${host}:${port}`,
    port,
    pid: child.pid!,
    stop: async () => {
      await stopChild(child);
      if (opts.pidFile) rmSync(opts.pidFile, { force: true });
    },
    kill: async () => {
      await stopChild(child, 'SIGKILL');
      if (opts.pidFile) rmSync(opts.pidFile, { force: true });
    },
  };
}

/**
 * A hub that is SIGKILLed cannot stop its server. Where util-linux's setpriv
 * is present, the server is exec'd with a parent-death signal, so the kernel
 * sends it SIGTERM the moment its hub dies, however it dies.
 */
export function withParentDeathSignal(binary: string, args: string[]): [string, string[]] {
  if (!onPath(SETPRIV)) return [binary, args];
  return [SETPRIV, ['--pdeathsig', 'TERM', '--', binary, ...args]];
}

const SETPRIV = 'setpriv';

export function onPath(binary: string): boolean {
  const candidates = binary.includes('/') ? [binary] : (process.env.PATH ?? '').split(delimiter).filter(Boolean).map((d) => join(d, binary));
  return candidates.some((file) => {
    try {
      accessSync(file, constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}

async function stopLeftover(pidFile: string, configFile: string): Promise<void> {
  let pid: number;
  try {
    pid = Number(readFileSync(pidFile, 'utf8'));
  } catch {
    return;
  }
  rmSync(pidFile, { force: true });
  let cmdline = '';
  try {
    cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
  } catch {
    return;
  }
  // Only a nats-server on our own config: the pid may have been reused by anything else.
  if (!cmdline.includes('nats-server') || !cmdline.includes(configFile)) return;
  process.kill(pid, 'SIGTERM');
  for (let i = 0; i < 30; i++) {
    await new Promise((r) => setTimeout(r, 100));
    try {
      process.kill(pid, 0);
    } catch {
      return;
    }
  }
  process.kill(pid, 'SIGKILL');
}

function waitReady(child: ChildProcess, log?: (line: string) => void): Promise<number> {
  return new Promise((resolve, reject) => {
    const lines: string[] = [];
    let port = 0;
    let settled = false;
    const settle = (fn: () => void) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      fn();
    };
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      settle(() => reject(new Error(`nats-server was not ready within ${READY_TIMEOUT_MS} ms:\n${lines.join('\n')}`)));
    }, READY_TIMEOUT_MS);
    child.once('error', (err) => settle(() => reject(err)));
    child.once('exit', (code, signal) => {
      settle(() => reject(new Error(`nats-server exited (${code ?? signal}) before it was ready:\n${lines.slice(-20).join('\n')}`)));
    });
    // The stream is drained for the server's whole life so that a full pipe never blocks it.
    createInterface({ input: child.stderr! }).on('line', (line) => {
      if (settled) {
        log?.(line);
        return;
      }
      lines.push(line);
      const listening = /Listening for client connections on .*:(\d+)/.exec(line);
      if (listening) port = Number(listening[1]);
      if (line.includes('Server is ready') && port > 0) settle(() => resolve(port));
    });
  });
}

/** Sends `signal` and waits for the exit, with SIGKILL after `killAfterMs` if the child lingers. */
export function stopChild(child: ChildProcess, signal: NodeJS.Signals = 'SIGTERM', killAfterMs = STOP_GRACE_MS): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const kill = setTimeout(() => child.kill('SIGKILL'), killAfterMs);
    child.once('exit', () => {
      clearTimeout(kill);
      resolve();
    });
    child.kill(signal);
  });
}
