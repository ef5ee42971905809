import { readlinkSync, realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { processTree } from '../proc-stats.js';

/** The module to preload into a server for `retainedMemory` to work. */
export const MEMORY_PROBE = fileURLToPath(new URL('./memory-probe.ts', import.meta.url));
/** How the probe's lines start. */
export const PROBE_TAG = 'pulse-memory-probe';

export interface RetainedMemory {
  /** V8 heap in use after full collections, summed over the server's processes. */
  heapBytes: number;
  /** Resident memory right after them. */
  rssBytes: number;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/**
 * Asks every process of a server started with MEMORY_PROBE (the hub with
 * HUB_WORKERS has several) to collect its garbage and say what it holds.
 * `output` is the server's output so far, which the answers are appended to.
 */
export async function retainedMemory(pid: number, output: readonly string[], timeoutMs = 10_000): Promise<RetainedMemory> {
  // Node processes only: tsx keeps an esbuild service beside each, which has no probe.
  const node = realpathSync(process.execPath);
  const pids = processTree(pid).filter((p) => {
    try {
      return readlinkSync(`/proc/${p}/exe`) === node;
    } catch {
      return false;
    }
  });
  const from = output.length;
  for (const p of pids) process.kill(p, 'SIGUSR2');
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const answers = new Map<number, { heapUsed: number; rss: number }>();
    for (const line of output.slice(from)) {
      const at = line.indexOf(PROBE_TAG);
      if (at < 0) continue;
      const a = JSON.parse(line.slice(at + PROBE_TAG.length)) as { pid: number; heapUsed: number; rss: number };
      answers.set(a.pid, a);
    }
    if (pids.every((p) => answers.has(p))) {
      const all = [...answers.values()];
      return { heapBytes: all.reduce((n, a) => n + a.heapUsed, 0), rssBytes: all.reduce((n, a) => n + a.rss, 0) };
    }
    if (Date.now() > deadline) throw new Error(`memory probe: ${answers.size} of ${pids.length} processes answered within ${timeoutMs} ms`);
    await sleep(50);
  }
}
