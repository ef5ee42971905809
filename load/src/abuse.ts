import { HostileClients, type HostileTally } from '@pulse/hub/testing';
import { roomSubject } from '@pulse/hub/protocol';
import { ClientPool } from './client-pool.js';
import type { Histogram } from './histogram.js';
import { rssBytes } from './proc-stats.js';
import { publishRun } from './publisher.js';
import type { ScenarioContext } from './scenarios.js';
import { retainedMemory } from './servers/retained-memory.js';

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
const MB = 1024 * 1024;

export interface AbuseOptions {
  /** Honest WebSocket viewers of one room, each counting every message. */
  clients: number;
  /** Room messages per second, and seconds of each phase (quiet, then attacked). */
  rate: number;
  seconds: number;
  /** How long the hub may take after the attack to be back within 10% of its memory before it. */
  recoverySeconds: number;
}

/**
 * Issue 13's abuse scenario: honest viewers count every message of a room
 * while it runs quiet, then again while hostile clients (HostileClients) do
 * their worst. Reports the honest clients' loss and p99 in both phases, the
 * hub's memory before, at its peak and after, and the limit counters.
 */
export async function abuse(ctx: ScenarioContext, o: AbuseOptions) {
  const { sys } = ctx;
  const room = `abuse${Date.now().toString(36)}`;
  const pool = ClientPool.start(ctx.loadWorkers);
  try {
    const c = await pool.connect('pulse-ws', sys.hub.url, `room:${room}`, o.clients, (up) => ctx.progress(`connecting honest viewers: ${up}/${o.clients}`));
    ctx.log(`${c.connected} honest viewers connected${c.failed ? `, ${c.failed} failed (${c.firstError})` : ''}`);
    await sleep(2_000);
    const before = await retainedMemory(sys.hub.pid, sys.hub.output);

    const phase = async (run: number, label: string) => {
      pool.startRun(run);
      const ticker = setInterval(() => ctx.progress(`${label}: ${o.rate} msg/s to ${c.connected} honest viewers…`), 1_000);
      const published = await publishRun(sys.game, roomSubject(room, 'events'), run, o.rate, o.seconds);
      clearInterval(ticker);
      await sleep(2_000);
      return { published, ...(await pool.report(published)) };
    };

    const quiet = await phase(1, 'quiet');
    ctx.log(`quiet: ${quiet.delivered} deliveries, ${quiet.lost} lost`);

    let peak = rssBytes(sys.hub.pid);
    const sampler = setInterval(() => (peak = Math.max(peak, rssBytes(sys.hub.pid))), 250);
    const hostile = HostileClients.start({ url: sys.hub.url, room });
    let attacked: Awaited<ReturnType<typeof phase>>;
    let tally: HostileTally;
    try {
      attacked = await phase(2, 'under attack');
    } finally {
      tally = await hostile.stop();
      clearInterval(sampler);
    }
    ctx.log(`under attack: ${attacked.delivered} deliveries, ${attacked.lost} lost`);

    // The hub lets go of what the attack left on its own timers (idle sessions, room states, presence grace).
    const started = Date.now();
    let after = await retainedMemory(sys.hub.pid, sys.hub.output);
    while (after.rssBytes > before.rssBytes * 1.1 && Date.now() - started < o.recoverySeconds * 1000) {
      ctx.progress(`waiting for the hub to let go: ${mb(after.rssBytes)} MB, ${mb(before.rssBytes)} MB before`);
      await sleep(5_000);
      after = await retainedMemory(sys.hub.pid, sys.hub.output);
    }
    const metrics = await (await fetch(`${sys.hub.url}/metrics`)).text();
    return {
      scenario: 'abuse',
      ...o,
      connected: c.connected,
      lost: quiet.lost + attacked.lost,
      duplicated: quiet.duplicated + attacked.duplicated,
      honest: {
        quiet: { published: quiet.published, delivered: quiet.delivered, lost: quiet.lost, p99Ms: p99(quiet.latency) },
        attacked: { published: attacked.published, delivered: attacked.delivered, lost: attacked.lost, p99Ms: p99(attacked.latency) },
        p99Ratio: Math.round((p99(attacked.latency) / Math.max(0.01, p99(quiet.latency))) * 100) / 100,
      },
      hubMemory: {
        rssBeforeMB: mb(before.rssBytes),
        rssPeakMB: mb(peak),
        rssAfterMB: mb(after.rssBytes),
        heapBeforeMB: mb(before.heapBytes),
        heapAfterMB: mb(after.heapBytes),
        backWithin10Pct: after.rssBytes <= before.rssBytes * 1.1,
        secondsToRecover: Math.round((Date.now() - started) / 1000),
      },
      attackers: tally,
      limits: scrape(metrics, /^pulse_limit_hits_total\{limit="([^"]+)"\} (\d+)$/gm),
      evictions: scrape(metrics, /^pulse_room_states_evicted_total\{reason="([^"]+)"\} (\d+)$/gm),
      clientErrors: scrape(metrics, /^pulse_client_errors_total\{code="([^"]+)"\} (\d+)$/gm),
    };
  } finally {
    await pool.close();
  }
}

function p99(h: Histogram): number {
  return Math.round(h.quantile(0.99) * 100) / 100;
}

function mb(bytes: number): number {
  return Math.round((bytes / MB) * 10) / 10;
}

/** `name → value` for every line of /metrics the pattern's two groups match. */
function scrape(text: string, pattern: RegExp): Record<string, number> {
  const out: Record<string, number> = {};
  for (const m of text.matchAll(pattern)) out[m[1]!] = Number(m[2]);
  return out;
}
