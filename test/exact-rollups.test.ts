import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect } from 'nats';
import { metricsSubject, ROLLUP_WINDOW_MS, type MessageFrame, type Rollup } from '@pulse/hub/protocol';
import { TEST_PASSWORDS, type HubProcess } from '@pulse/hub/testing';
import { eventually, sleep, uniqueName, useFleet } from './helpers.js';

// Known samples for 20 windows while hubs come and go; every window stored must
// count exactly what was sent in it, and none may be stored twice.

const WINDOWS = 20;
const SERIES = 12;
const SAMPLES_PER_WINDOW = 10;

interface Expected {
  count: number;
  sum: number;
  min: number;
  max: number;
}

const fleet = useFleet({ beforeAll, afterAll });
const { hubs } = fleet;
const startHub = () => fleet.startHub();

/**
 * Samples are stamped this far ahead of the moment they are sent, as a
 * service whose clock runs ahead would: a test process or a nats-server
 * stalled for up to this long on a busy machine still stores every sample
 * before its window closes, so the test's expectations are exact.
 */
const STAMP_AHEAD_MS = 2_000;

/**
 * Publishes SAMPLES_PER_WINDOW samples per series per window for WINDOWS
 * windows, and runs `at[k]` half way through window k, when windows are open.
 * Returns what each series' windows must hold.
 */
async function publishKnownSamples(names: string[], at: Record<number, () => Promise<unknown>>, windows = WINDOWS): Promise<Map<string, Map<number, Expected>>> {
  const expected = new Map(names.map((n) => [n, new Map<number, Expected>()]));
  // Start on a window boundary so that every window gets the same number of samples.
  await sleep(ROLLUP_WINDOW_MS - (Date.now() % ROLLUP_WINDOW_MS) + 5);
  const first = Date.now() - (Date.now() % ROLLUP_WINDOW_MS);
  for (let k = 0; k < windows; k++) {
    const start = first + k * ROLLUP_WINDOW_MS;
    for (let i = 0; i < SAMPLES_PER_WINDOW; i++) {
      await sleep(Math.max(0, start + (i * ROLLUP_WINDOW_MS) / SAMPLES_PER_WINDOW + 20 - Date.now()));
      if (i === SAMPLES_PER_WINDOW / 2) await at[k]?.();
      for (const [j, name] of names.entries()) {
        const ts = Date.now() + STAMP_AHEAD_MS;
        const value = ((k * 7 + i * 13 + j * 3) % 50) - 10 + i / 4;
        const window = ts - (ts % ROLLUP_WINDOW_MS);
        const e = expected.get(name)!.get(window) ?? { count: 0, sum: 0, min: Infinity, max: -Infinity };
        expected.get(name)!.set(window, { count: e.count + 1, sum: e.sum + value, min: Math.min(e.min, value), max: Math.max(e.max, value) });
        // Half the series carry tags: their untagged series must count them too.
        fleet.service.publish(metricsSubject(j % 2 ? `${name},host=h${i % 3}` : name), JSON.stringify({ value, ts }));
      }
    }
  }
  await fleet.service.flush();
  return expected;
}

/** Every rollup stored for `name`, in stream order. */
async function storedRollups(hub: HubProcess, name: string): Promise<Rollup[]> {
  const body = (await (await fetch(`${hub.url}/api/history?ch=metrics:${encodeURIComponent(name)}&since=0&limit=2000`)).json()) as { messages: Array<MessageFrame<Rollup>> };
  return body.messages.map((m) => m.data);
}

/** How many partitions each hub rolls up. */
async function partitionsHeld(of: HubProcess[]): Promise<number[]> {
  return Promise.all(of.map(async (h) => Number(/^pulse_rollup_partitions (\d+)$/m.exec(await (await fetch(`${h.url}/metrics`)).text())?.[1])));
}

async function expectExact(reader: HubProcess, expected: Map<string, Map<number, Expected>>, skipsExpected = false): Promise<void> {
  // Nothing was late or refused, by any hub: each stored window must be whole.
  for (const h of hubs) {
    // A hub that was stopped or killed does not answer.
    const text = await (await fetch(`${h.url}/metrics`).catch(() => undefined))?.text();
    const counted = skipsExpected ? /^pulse_samples_dropped_total/ : /^pulse_(samples_dropped|rollup_skips)_total/;
    if (text) expect(text.split('\n').filter((l) => counted.test(l) && !l.endsWith(' 0'))).toEqual([]);
  }
  for (const [name, windows] of expected) {
    const stored = await eventually(async () => {
      const r = await storedRollups(reader, name);
      return r.length >= windows.size ? r : undefined;
    }, 30_000);
    const ts = stored.map((r) => r.t);
    expect(new Set(ts).size, `${name}: a window stored twice`).toBe(ts.length);
    expect([...ts].sort((a, b) => a - b), `${name}: windows stored`).toEqual([...windows.keys()].sort((a, b) => a - b));
    for (const r of stored) {
      const e = windows.get(r.t)!;
      expect({ t: r.t, count: r.count, min: r.min, max: r.max }, name).toEqual({ t: r.t, count: e.count, min: e.min, max: e.max });
      expect(r.sum, `${name} sum at ${r.t}`).toBeCloseTo(e.sum, 9);
    }
  }
}

describe('rollups with hubs that come and go', () => {
  it('stores every window once and exactly while one of two hubs is SIGKILLed mid-window and another starts mid-window', async () => {
    const [a] = [await startHub(), await startHub()];
    const b = hubs[1]!;
    const names = Array.from({ length: SERIES }, (_, i) => uniqueName(`exact.k${i}`));
    const expected = await publishKnownSamples(names, {
      5: () => b.kill('SIGKILL'),
      10: () => startHub(),
    });
    await expectExact(a!, expected);
    // The killed hub's partitions were taken over, and the newcomer got its share.
    const live = [a!, hubs[2]!];
    expect(await eventually(async () => {
      const held = await partitionsHeld(live);
      return held[0]! + held[1]! === 32 && held.every((n) => n === 16) ? held : undefined;
    })).toEqual([16, 16]);
  });

  it('stores every window once and exactly through a graceful stop of one hub mid-window', async () => {
    const [a, b] = [hubs.find((h) => h !== hubs[1])!, await startHub()];
    const names = Array.from({ length: SERIES }, (_, i) => uniqueName(`exact.g${i}`));
    const expected = await publishKnownSamples(names, { 8: () => b.stop() });
    await expectExact(a, expected);
  });

  it('rolls up from the first sample on after every hub was down and the samples stream dropped what they had not read', async () => {
    await Promise.all(hubs.map((h) => h.stop()));
    // One hub that holds every partition stops, leaving a checkpoint for each.
    const before = await startHub();
    await eventually(async () => ((await partitionsHeld([before]))[0] === 32 ? true : undefined));
    await before.stop();
    // Samples nobody reads, then gone from the stream, as its 2 minutes would make them.
    for (let i = 0; i < 50; i++) fleet.service.publish(metricsSubject(uniqueName('exact.unread')), '1');
    await fleet.service.flush();
    const admin = await connect({ servers: fleet.nats.url, user: 'hub', pass: TEST_PASSWORDS.hub });
    await (await admin.jetstreamManager()).streams.purge('PULSE_SAMPLES');
    await admin.close();

    const hub = await startHub();
    await eventually(async () => ((await partitionsHeld([hub]))[0] === 32 ? true : undefined));
    const names = Array.from({ length: 4 }, (_, i) => uniqueName(`exact.r${i}`));
    // Only recent windows count here: those of samples the stream dropped are at least a minute old.
    await expectExact(hub, await publishKnownSamples(names, {}, 4), true);
  });
});
