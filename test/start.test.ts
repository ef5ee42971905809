import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, describe, expect, it } from 'vitest';
import { eventually } from './helpers.js';

const ROOT = resolve(import.meta.dirname, '..');
const dir = mkdtempSync(join(tmpdir(), 'pulse-start-'));
const pids: number[] = [];

afterAll(() => {
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // Already gone, as it should be.
    }
  }
  rmSync(dir, { recursive: true, force: true });
});

function freePort(): Promise<number> {
  return new Promise((done) => {
    const srv = createServer().listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => done(port));
    });
  });
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('npm start', () => {
  it('runs nats-server, the hub and the demo feed, prints the URL, and stops them all on SIGTERM within 5 s', async () => {
    const natsPort = await freePort();
    const child = spawn(process.execPath, ['scripts/start.mjs'], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, PORT: '0', NATS_PORT: String(natsPort), NATS_STORE_DIR: join(dir, 'nats'), NATS_URL: '' },
    });
    pids.push(child.pid!);
    const lines: string[] = [];
    createInterface({ input: child.stdout! }).on('line', (l) => lines.push(l));
    createInterface({ input: child.stderr! }).on('line', (l) => lines.push(l));

    const url = await eventually(() => /Pulse is running: open (\S+)/.exec(lines.join('\n'))?.[1], 60_000);
    const natsPid = Number(/nats-server started on \S+ \(pid (\d+)/.exec(lines.join('\n'))?.[1]);
    pids.push(natsPid);
    expect(alive(natsPid)).toBe(true);

    const health = (await (await fetch(`${url}/healthz`)).json()) as { ok: boolean };
    expect(health.ok).toBe(true);
    // The demo feed publishes as the service user; its rollups show up as channels.
    await eventually(async () => {
      const body = (await (await fetch(`${url}/api/channels`)).json()) as { metrics: unknown[] };
      return body.metrics.length >= 5 ? true : undefined;
    }, 15_000);
    const page = await fetch(url);
    expect(await page.text()).toContain('<html');

    const stopped = Date.now();
    const exited = new Promise<number | null>((done) => child.once('exit', (code) => done(code)));
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    await eventually(() => (!alive(natsPid) ? true : undefined), 5000, 50);
    expect(Date.now() - stopped).toBeLessThan(5000);
  }, 90_000);
});
