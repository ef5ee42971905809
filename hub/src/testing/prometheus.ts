import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PROJECT_ROOT } from '../config.js';
import { onPath, stopChild, withParentDeathSignal } from '../bus/embedded-nats.js';
import { freePort } from './free-port.js';

/** Prometheus's own binaries: the machine's, or those the test setup unpacked (scripts/ensure.mjs). */
export function prometheusTool(name: 'promtool' | 'prometheus'): string {
  return onPath(name) ? name : join(PROJECT_ROOT, '.data/tools/prometheus/usr/bin', name);
}

/** `promtool check metrics` on an exposition: what it finds, empty when nothing. */
export function lintMetrics(text: string): { ok: boolean; findings: string } {
  const run = spawnSync(prometheusTool('promtool'), ['check', 'metrics'], { input: text, encoding: 'utf8' });
  if (run.error) throw run.error;
  return { ok: run.status === 0, findings: `${run.stdout}${run.stderr}`.trim() };
}

export interface TestPrometheus {
  url: string;
  /** An instant query's result vector. */
  query(q: string): Promise<Array<{ metric: Record<string, string>; value: [number, string] }>>;
  stop(): Promise<void>;
}

/** A real Prometheus server scraping `targets` (host:port) every second, on loopback, with its data in a temp folder. */
export async function startPrometheus(targets: readonly string[]): Promise<TestPrometheus> {
  const dir = mkdtempSync(join(tmpdir(), 'pulse-prometheus-'));
  const config = join(dir, 'prometheus.yml');
  writeFileSync(config, `global:\n  scrape_interval: 1s\nscrape_configs:\n  - job_name: pulse\n    static_configs:\n      - targets: [${targets.map((t) => `'${t}'`).join(', ')}]\n`);
  const port = await freePort();
  const [cmd, args] = withParentDeathSignal(prometheusTool('prometheus'), [
    `--config.file=${config}`,
    `--storage.tsdb.path=${join(dir, 'data')}`,
    `--web.listen-address=127.0.0.1:${port}`,
  ]);
  const child = spawn(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  const output: string[] = [];
  child.stderr.setEncoding('utf8').on('data', (d: string) => output.push(d));
  const url = `http://127.0.0.1:${port}`;
  const stop = async () => {
    await stopChild(child);
    rmSync(dir, { recursive: true, force: true });
  };
  const deadline = Date.now() + 20_000;
  for (;;) {
    if (child.exitCode !== null) {
      await stop();
      throw new Error(`prometheus exited: ${output.join('').slice(-2000)}`);
    }
    const ready = await fetch(`${url}/-/ready`).then((r) => r.ok, () => false);
    if (ready) break;
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`prometheus not ready within 20 s: ${output.join('').slice(-2000)}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  return {
    url,
    stop,
    async query(q) {
      const res = (await (await fetch(`${url}/api/v1/query?query=${encodeURIComponent(q)}`)).json()) as { data: { result: Awaited<ReturnType<TestPrometheus['query']>> } };
      return res.data.result;
    },
  };
}
