import { roomSubject } from '@pulse/hub/protocol';
import { TEST_PASSWORDS } from '@pulse/hub/testing';
import { ClientPool } from './client-pool.js';
import type { Histogram } from './histogram.js';
import { publishRun } from './publisher.js';
import type { ScenarioContext } from './scenarios.js';
import { launchServer } from './servers/launch.js';

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export interface PresenceLoadOptions {
  /** Viewers of the room whose messages are timed. */
  clients: number;
  /** The crowd that joins the room, and the members of the hub that dies. */
  crowd: number;
  /** Room messages per second. */
  rate: number;
}

/**
 * Presence work must never hold up channel messages. Viewers of a room time
 * its messages while a crowd joins the same room (every member hears of
 * every join), then with the crowd in and nothing else happening, then while
 * the members of a second hub that was SIGKILLed are swept from presence at
 * once by the hub that stays. Reports each phase's p99 against the quiet
 * one, and any loss.
 */
export async function presenceLoad(ctx: ScenarioContext, o: PresenceLoadOptions) {
  const { sys } = ctx;
  const room = `presence${Date.now().toString(36)}`;
  const ch = `room:${room}`;
  const subject = roomSubject(room, 'events');
  const viewers = ClientPool.start(ctx.loadWorkers);
  const crowd = ClientPool.start(1);
  const doomed = ClientPool.start(1);
  const other = await launchServer('hub', { url: sys.nats.url, user: 'hub', pass: TEST_PASSWORDS.hub }, subject);
  try {
    const c = await viewers.connect('pulse-ws', sys.hub.url, ch, o.clients, (up) => ctx.progress(`connecting viewers: ${up}/${o.clients}`));
    ctx.log(`${c.connected} viewers connected`);
    const d = await doomed.connect('pulse-ws', other.url, ch, o.crowd, (up) => ctx.progress(`connecting the second hub's members: ${up}/${o.crowd}`));
    ctx.log(`${d.connected} members on the second hub`);
    await sleep(3_000);

    let run = 0;
    /** Publishes for `seconds` while `during` runs, and reports what the viewers got. */
    const phase = async (label: string, seconds: number, during: () => Promise<unknown> = async () => undefined) => {
      viewers.startRun(++run);
      const ticker = setInterval(() => ctx.progress(`${label}: ${o.rate} msg/s to ${c.connected} viewers…`), 1_000);
      const [published] = await Promise.all([publishRun(sys.game, subject, run, o.rate, seconds), during()]);
      clearInterval(ticker);
      await sleep(2_000);
      const r = await viewers.report(published);
      ctx.log(`${label}: p99 ${p99(r.latency)} ms, ${r.lost} lost`);
      return { published, lost: r.lost, duplicated: r.duplicated, p99Ms: p99(r.latency), maxMs: Math.round(r.latency.max) };
    };

    // The crowd's joins first; quiet is measured after, with the crowd in: a room's fan-out costs more with more
    // members, and what is compared here is the presence work alone.
    const joining = await phase('a crowd joining', 10, () => crowd.connect('pulse-ws', sys.hub.url, ch, o.crowd));
    await sleep(3_000);
    const quiet = await phase('quiet, the crowd in', 10);
    // Killed at once; its members are swept about 15 s later (HUB_STALE_MS plus a sweep), inside the phase.
    const sweeping = await phase('a dead hub swept', 25, async () => {
      await other.kill('SIGKILL');
    });
    const ratio = (x: { p99Ms: number }) => Math.round((x.p99Ms / Math.max(0.01, quiet.p99Ms)) * 100) / 100;
    return {
      scenario: 'presence',
      ...o,
      connected: c.connected,
      quiet,
      joining: { ...joining, p99VsQuiet: ratio(joining) },
      sweeping: { ...sweeping, p99VsQuiet: ratio(sweeping) },
      lost: quiet.lost + joining.lost + sweeping.lost,
      duplicated: quiet.duplicated + joining.duplicated + sweeping.duplicated,
    };
  } finally {
    await Promise.all([viewers.close(), crowd.close(), doomed.close()]);
    await other.stop().catch(() => undefined);
  }
}

function p99(h: Histogram): number {
  return Math.round(h.quantile(0.99) * 100) / 100;
}
