import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, describe, expect, it } from 'vitest';
import { eventually } from './helpers.js';

const ROOT = resolve(import.meta.dirname, '..');
const dir = mkdtempSync(join(tmpdir(), 'pulse-start-'));
const pids = new Set<number>();

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
    // A zombie is gone for every purpose but its parent's wait.
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

/** Every live process below `root`, by parent links in /proc. */
function descendants(root: number): number[] {
  const parent = new Map<number, number>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      parent.set(Number(entry), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]));
    } catch {
      // Exited while we looked.
    }
  }
  const out: number[] = [];
  const walk = (p: number) => {
    for (const [pid, pp] of parent) if (pp === p) (out.push(pid), walk(pid));
  };
  walk(root);
  return out;
}

interface Started {
  child: ChildProcess;
  url: string;
  natsPid: number;
  hubPid: number;
  /** start.mjs and everything it started, nats-server included. */
  all: number[];
  exited: Promise<number | null>;
}

/** `npm start` as a terminal runs it: the leader of its own process group. */
async function start(natsPort: number, store: string): Promise<Started> {
  const child = spawn(process.execPath, ['scripts/start.mjs'], {
    cwd: ROOT,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, PORT: '0', NATS_PORT: String(natsPort), NATS_STORE_DIR: store, NATS_URL: '' },
  });
  pids.add(child.pid!);
  const exited = new Promise<number | null>((done) => child.once('exit', (code) => done(code)));
  const lines: string[] = [];
  createInterface({ input: child.stdout! }).on('line', (l) => lines.push(l));
  createInterface({ input: child.stderr! }).on('line', (l) => lines.push(l));
  const url = await eventually(() => /Pulse is running: open (\S+)/.exec(lines.join('\n'))?.[1], 60_000);
  const natsPid = Number(/nats-server started on \S+ \(pid (\d+)/.exec(lines.join('\n'))?.[1]);
  const all = [child.pid!, ...descendants(child.pid!)];
  for (const pid of all) pids.add(pid);
  expect(all).toContain(natsPid);
  const hubPid = all.find((pid) => pid !== child.pid && pid !== natsPid && readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('hub/src/main.ts'))!;
  expect(hubPid).toBeGreaterThan(0);
  return { child, url, natsPid, hubPid, all, exited };
}

async function allGone(pidList: number[], withinMs: number): Promise<void> {
  await eventually(() => (pidList.every((pid) => !alive(pid)) ? true : undefined), withinMs, 50).catch(() => {
    throw new Error(`still running after ${withinMs} ms: ${pidList.filter(alive).join(', ')}`);
  });
}

describe('npm start', () => {
  it('runs nats-server, the hub and the demo feed, prints the URL, and stops them all on SIGTERM within 5 s', async () => {
    const s = await start(await freePort(), join(dir, 'nats-a'));
    expect(alive(s.natsPid)).toBe(true);
    const health = (await (await fetch(`${s.url}/healthz`)).json()) as { ok: boolean };
    expect(health.ok).toBe(true);
    // The demo feed publishes as the service user; its rollups show up as channels.
    await eventually(async () => {
      const body = (await (await fetch(`${s.url}/api/channels`)).json()) as { metrics: unknown[] };
      return body.metrics.length >= 5 ? true : undefined;
    }, 15_000);
    const page = await fetch(s.url);
    expect(await page.text()).toContain('<html');

    const stopped = Date.now();
    s.child.kill('SIGTERM');
    expect(await s.exited).toBe(0);
    await allGone(s.all, 5000);
    expect(Date.now() - stopped).toBeLessThan(5000);
  }, 90_000);

  // A terminal's Ctrl-C, or a supervisor's SIGTERM, reaches every process of the group at once.
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    it(`leaves no process running when ${signal} goes to the whole process group`, async () => {
      const s = await start(await freePort(), join(dir, `nats-${signal}`));
      process.kill(-s.child.pid!, signal);
      await allGone(s.all, 5000);
      await s.exited;
    }, 90_000);
  }

  it('stops nats-server soon after its hub is SIGKILLed, and starts again on the same data', async () => {
    const port = await freePort();
    const store = join(dir, 'nats-kill');
    const s = await start(port, store);
    process.kill(s.hubPid, 'SIGKILL');
    await allGone(s.all, 5000);
    await s.exited;

    const again = await start(port, store);
    expect(((await (await fetch(`${again.url}/healthz`)).json()) as { ok: boolean }).ok).toBe(true);
    process.kill(-again.child.pid!, 'SIGINT');
    await allGone(again.all, 5000);
  }, 120_000);
});
