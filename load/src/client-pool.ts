import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { Histogram } from './histogram.js';
import type { PlayerEcho, RunReport, WorkerCommand, WorkerEvent } from './workers/messages.js';
import type { Target } from './workers/targets.js';

const WORKER = fileURLToPath(new URL('./workers/client-worker.ts', import.meta.url));

export interface PoolReport extends Omit<RunReport, 'latency'> {
  latency: Histogram;
}

/**
 * Clients spread over several worker processes, so the load generator is not
 * what limits the server: each worker holds `count / workers` clients.
 */
export class ClientPool {
  private constructor(private readonly workers: ChildProcess[]) {}

  static start(workers: number): ClientPool {
    const children = Array.from({ length: workers }, () =>
      fork(WORKER, [], { execArgv: ['--import', 'tsx', '--max-old-space-size=4096'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] }),
    );
    return new ClientPool(children);
  }

  /** Opens `count` clients; `progress` hears how many are up as they come. */
  async connect(
    target: Target,
    url: string,
    ch: string,
    count: number,
    progress: (connected: number, failed: number) => void = () => undefined,
  ): Promise<{ connected: number; failed: number; firstError?: string }> {
    const shares = this.workers.map((_, i) => Math.floor(count / this.workers.length) + (i < count % this.workers.length ? 1 : 0));
    const seen = this.workers.map(() => ({ connected: 0, failed: 0 }));
    const results = await Promise.all(
      this.workers.map(
        (w, i) =>
          new Promise<Extract<WorkerEvent, { ev: 'connected' }>>((done) => {
            const on = (e: WorkerEvent) => {
              if (e.ev === 'progress' || e.ev === 'connected') {
                seen[i] = { connected: e.connected, failed: e.failed };
                progress(
                  seen.reduce((a, s) => a + s.connected, 0),
                  seen.reduce((a, s) => a + s.failed, 0),
                );
              }
              if (e.ev === 'connected') {
                w.off('message', on);
                done(e);
              }
            };
            w.on('message', on);
            this.send(w, { cmd: 'connect', target, url, ch, count: shares[i]!, concurrency: 100 });
          }),
      ),
    );
    const firstError = results.find((r) => r.firstError)?.firstError;
    return {
      connected: results.reduce((a, r) => a + r.connected, 0),
      failed: results.reduce((a, r) => a + r.failed, 0),
      ...(firstError !== undefined && { firstError }),
    };
  }

  /** The worker processes, for their CPU use. */
  get pids(): number[] {
    return this.workers.map((w) => w.pid!).filter((p) => p !== undefined);
  }

  startRun(run: number): void {
    for (const w of this.workers) this.send(w, { cmd: 'run', run });
  }

  async report(expected: number): Promise<PoolReport> {
    const reports = await this.ask({ cmd: 'report', expected }, (e) => (e.ev === 'report' ? e.report : undefined));
    const latency = new Histogram();
    for (const r of reports) latency.merge(Histogram.fromSparse(r.latency));
    return {
      clients: reports.reduce((a, r) => a + r.clients, 0),
      delivered: reports.reduce((a, r) => a + r.delivered, 0),
      duplicated: reports.reduce((a, r) => a + r.duplicated, 0),
      lost: reports.reduce((a, r) => a + r.lost, 0),
      latency,
      worst: reports.flatMap((r) => r.worst).slice(0, 20),
    };
  }

  /** Outages clients reported since the last call: their kind, and ms from losing their connection to being subscribed again. */
  async outages(): Promise<Array<[Target, number]>> {
    return (await this.ask({ cmd: 'outages' }, (e) => (e.ev === 'outages' ? e.outages : undefined))).flat();
  }

  /** Each player's input-to-echo latency since the run started (players that saw none are left out). */
  async echoes(): Promise<PlayerEcho[]> {
    return (await this.ask({ cmd: 'echoes' }, (e) => (e.ev === 'echoes' ? e.echoes : undefined))).flat();
  }

  /** Counting of the clients that come back starts now. */
  mark(): void {
    for (const w of this.workers) this.send(w, { cmd: 'mark' });
  }

  /** Clients reconnected and subscribed again since `mark`. */
  async countBack(): Promise<number> {
    const answers = await this.ask({ cmd: 'count-back' }, (e) => (e.ev === 'back' ? e.back : undefined));
    return answers.reduce((a, n) => a + n, 0);
  }

  /** Sends every worker `command` and gathers the first answer of each that `pick` takes. */
  private ask<T>(command: WorkerCommand, pick: (e: WorkerEvent) => T | undefined): Promise<T[]> {
    return Promise.all(
      this.workers.map(
        (w) =>
          new Promise<T>((done) => {
            const on = (e: WorkerEvent) => {
              const answer = pick(e);
              if (answer === undefined) return;
              w.off('message', on);
              done(answer);
            };
            w.on('message', on);
            this.send(w, command);
          }),
      ),
    );
  }

  async close(): Promise<void> {
    await Promise.all(
      this.workers.map(
        (w) =>
          new Promise<void>((done) => {
            if (w.exitCode !== null) return done();
            const kill = setTimeout(() => w.kill('SIGKILL'), 3_000);
            w.once('exit', () => {
              clearTimeout(kill);
              done();
            });
            this.send(w, { cmd: 'close' });
          }),
      ),
    );
  }

  private send(w: ChildProcess, c: WorkerCommand): void {
    w.send(c);
  }
}
