import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WINDOW_MS, metricsSubject, type MessageFrame, type Rollup, type RollupRangeMessages, type RollupRangePoints, type RollupWindow } from '@pulse/hub/protocol';
import { TestWsClient, type HubProcess } from '@pulse/hub/testing';
import { eventually, sleep, uniqueName, useFleet } from './helpers.js';

// Ten-second and one-minute windows merged from the seconds, checked against
// the raw samples over a minute in which one of two hubs is SIGKILLed.

/** Stamped ahead, as in exact-rollups.test.ts: a stalled test process still stores every sample before its second closes. */
const STAMP_AHEAD_MS = 2_000;
const EVERY_MS = 100;

interface Sample {
  ts: number;
  value: number;
}

const fleet = useFleet({ beforeAll, afterAll });
const { hubs } = fleet;
const startHub = () => fleet.startHub();

async function range<T>(hub: HubProcess, query: Record<string, string | number>): Promise<{ status: number; body: T }> {
  const res = await fetch(`${hub.url}/api/history?${new URLSearchParams(Object.entries(query).map(([k, v]) => [k, String(v)]))}`);
  return { status: res.status, body: (await res.json()) as T };
}

/** What the samples with ts in [t, t + ms) roll up to, exactly. */
function expectedOf(samples: Sample[], t: number, ms: number) {
  const inside = samples.filter((s) => s.ts >= t && s.ts < t + ms);
  if (inside.length === 0) return undefined;
  const values = inside.map((s) => s.value);
  const latest = inside.reduce((a, b) => (b.ts >= a.ts ? b : a));
  return { t, count: values.length, sum: values.reduce((a, b) => a + b, 0), min: Math.min(...values), max: Math.max(...values), last: latest.value };
}

describe('longer rollup windows', () => {
  it('are exact against the raw samples over a minute in which a hub is SIGKILLed, by window, range and step', async () => {
    const a = await startHub();
    const b = await startHub();
    const base = uniqueName('tiers.latency');
    const tagged = [`${base},host=a`, `${base},host=b`];
    const sent = new Map<string, Sample[]>([[base, []], ...tagged.map((s) => [s, []] as [string, Sample[]])]);

    const live = await TestWsClient.connect(a.wsUrl);
    live.send({ type: 'subscribe', ch: `metrics10s:${base}` });
    await live.next((f) => f.type === 'subscribed');

    // Until the minute of the first sample has ended, and for 25 s at least: several ten-second windows, and one minute.
    const first = Date.now() + STAMP_AHEAD_MS;
    const minute = first - (first % WINDOW_MS['1m']);
    const until = Math.max(minute + WINDOW_MS['1m'] + 500, first + 25_000);
    let killed = false;
    for (let i = 0; Date.now() + STAMP_AHEAD_MS < until; i++) {
      if (!killed && Date.now() + STAMP_AHEAD_MS > first + (until - first) / 2) {
        void b.kill('SIGKILL');
        killed = true;
      }
      const ts = Date.now() + STAMP_AHEAD_MS;
      const series = tagged[i % 2]!;
      const value = ((i * 7919) % 2000) - 400;
      sent.get(series)!.push({ ts, value });
      sent.get(base)!.push({ ts, value });
      fleet.service.publish(metricsSubject(series), JSON.stringify({ value, ts }));
      await sleep(EVERY_MS);
    }
    await fleet.service.flush();

    for (const [series, samples] of sent) {
      const want = expectedOf(samples, minute, WINDOW_MS['1m'])!;
      // The minute closes with its last second, once the killed hub's partitions are taken over.
      const stored = await eventually(async () => {
        const r = await range<RollupRangeMessages>(a, { ch: `metrics:${series}`, window: '1m', from: minute, to: minute + WINDOW_MS['1m'] });
        return r.body.messages.length > 0 ? r.body : undefined;
      }, 40_000);
      expect(stored.ch).toBe(`metrics1m:${series}`);
      expect(stored.messages.map((m) => m.data).map(({ t, count, sum, min, max, last }) => ({ t, count, sum, min, max, last }))).toEqual([want]);

      const tens = (await range<RollupRangeMessages>(a, { ch: `metrics10s:${series}`, from: minute, to: minute + WINDOW_MS['1m'] })).body;
      const wantTens = Array.from({ length: 6 }, (_, k) => expectedOf(samples, minute + k * 10_000, 10_000)).filter((e) => e !== undefined);
      expect(tens.messages.map(({ data: { t, count, sum, min, max, last } }) => ({ t, count, sum, min, max, last }))).toEqual(wantTens);

      // The ten-second windows merged per minute are the stored minute, its sketch to the bit.
      const merged = (await range<RollupRangePoints>(a, { ch: `metrics:${series}`, window: '10s', from: minute, to: minute + WINDOW_MS['1m'], step: WINDOW_MS['1m'] })).body;
      expect(merged.rollups).toEqual([stored.messages[0]!.data]);
      expect(merged.seq).toBe(tens.messages.at(-1)!.seq);
    }

    // Each hub that counted samples stored none twice and dropped none.
    const metrics = await (await fetch(`${a.url}/metrics`)).text();
    expect(metrics.split('\n').filter((l) => /^pulse_(samples_dropped|rollup_skips)_total/.test(l) && !l.endsWith(' 0'))).toEqual([]);

    // Live, the ten-second channel delivered the same windows as its history holds.
    const history = (await range<RollupRangeMessages>(a, { ch: `metrics10s:${base}`, from: first - 10_000, to: until })).body.messages.map((m) => m.data.t);
    const got = await eventually(() => {
      const ts = live.frames.filter((f): f is MessageFrame<Rollup> => f.type === 'message').map((f) => f.data.t);
      return ts.length >= history.length ? ts : undefined;
    }, 20_000);
    expect(got).toEqual(history);
    await live.close();
  }, 150_000);

  it('refuses ranges that make no sense, with the reason', async () => {
    const hub = hubs[0] ?? (await startHub());
    const cases: Array<[Record<string, string | number>, RegExp]> = [
      [{ ch: 'metrics:x', window: '5s' }, /window must be 1s, 10s or 1m/],
      [{ ch: 'room:lobby', window: '1m' }, /metrics channels only/],
      [{ ch: 'metrics10s:x', window: '1m' }, /hold 10s windows/],
      [{ ch: 'metrics:x', to: 5_000 }, /needs from/],
      [{ ch: 'metrics:x', from: 5_000, to: 5_000 }, /to must be/],
      [{ ch: 'metrics:x', window: '10s', from: 0, step: 15_000 }, /multiple of the window/],
      [{ ch: 'metrics:x', from: 0, since: 3 }, /since and from/],
      [{ ch: 'metrics:x', from: 'yesterday' }, /from must be/],
    ];
    for (const [query, reason] of cases) {
      const r = await range<{ error: { code: string; message: string } }>(hub, query);
      expect(r.status, JSON.stringify(query)).toBe(400);
      expect(r.body.error.message, JSON.stringify(query)).toMatch(reason);
    }
    const windows: RollupWindow[] = ['1s', '10s', '1m'];
    for (const window of windows) {
      const empty = await range<RollupRangeMessages>(hub, { ch: 'metrics:never.sent', window, from: 0 });
      expect(empty).toMatchObject({ status: 200, body: { window, messages: [], seq: 0 } });
    }
  });
});
