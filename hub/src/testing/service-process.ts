import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { PROJECT_ROOT } from '../config.js';
import { stopChild, withParentDeathSignal } from '../bus/embedded-nats.js';

export interface ServiceProcess {
  url: string;
  port: number;
  pid: number;
  /** Everything it printed, for assertions and failure reports. */
  output: string[];
  /** SIGTERM, then SIGKILL after `killAfterMs`. */
  stop(): Promise<void>;
  kill(signal?: NodeJS.Signals): Promise<void>;
}

export interface ServiceOptions {
  /** For error messages. */
  name: string;
  /** A TypeScript entry point, run with tsx. */
  script: string;
  /** Modules to load before it (`--import`), such as a benchmark's probe. */
  preload?: readonly string[];
  env: Record<string, string>;
  /** The line that says it is ready: group 1 its base URL, group 2 its port. */
  ready: RegExp;
  startTimeoutMs?: number;
  killAfterMs?: number;
  /** Hears every line it prints, before and after it is ready. */
  onLine?: (line: string) => void;
  /**
   * In its own process group, so that a Ctrl-C at the terminal reaches only
   * the parent, which stops it in order; it still dies with the parent.
   */
  ownProcessGroup?: boolean;
}

/**
 * A server of the project (the hub, a benchmark baseline) as a child process,
 * resolved once it prints its ready line and stopped by pid.
 */
export function startServiceProcess(o: ServiceOptions): Promise<ServiceProcess> {
  const startTimeoutMs = o.startTimeoutMs ?? 20_000;
  const args = ['--import', 'tsx', ...(o.preload ?? []).flatMap((m) => ['--import', m]), o.script];
  const [command, argv] = o.ownProcessGroup ? withParentDeathSignal(process.execPath, args) : [process.execPath, args];
  const child = spawn(command, argv, {
    detached: o.ownProcessGroup ?? false,
    cwd: PROJECT_ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...o.env },
  });
  const output: string[] = [];
  return new Promise((resolveStart, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${o.name} did not start within ${startTimeoutMs} ms:\n${output.join('\n')}`));
    }, startTimeoutMs);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${o.name} exited (${code}) during start:\n${output.join('\n')}`));
    });
    const onLine = (line: string) => {
      output.push(line);
      o.onLine?.(line);
      const m = o.ready.exec(line);
      if (!m) return;
      clearTimeout(timer);
      child.removeAllListeners('exit');
      resolveStart({
        url: m[1]!,
        port: Number(m[2]),
        pid: child.pid!,
        output,
        stop: () => stopChild(child, 'SIGTERM', o.killAfterMs ?? 3_000),
        kill: (signal = 'SIGKILL') => stopChild(child, signal, o.killAfterMs ?? 3_000),
      });
    };
    createInterface({ input: child.stdout! }).on('line', onLine);
    createInterface({ input: child.stderr! }).on('line', onLine);
  });
}
