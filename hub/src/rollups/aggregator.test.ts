import { describe, expect, it } from 'vitest';
import { QUANTILE_RELATIVE_ACCURACY, type Rollup, type RollupWindow } from '../protocol/index.js';
import { MAX_FUTURE_MS, RollupAggregator, WINDOW_GRACE_MS, windowFloor, type WindowMarks } from './aggregator.js';

const NONE: WindowMarks = { '1s': 0, '10s': 0, '1m': 0 };

/** The one-second rollups it emits; `all` has every length's. */
function collect(closed: WindowMarks = NONE) {
  const out: Array<[string, Rollup]> = [];
  const all: Array<[RollupWindow, string, Rollup]> = [];
  const agg = new RollupAggregator(closed, (w, s, r) => {
    all.push([w, s, r]);
    if (w === '1s') out.push([s, r]);
  });
  return { out, all, agg };
}

let seq = 0;
/** A sample stored at `storedAt` (its own time when `ts` is left out). */
const add = (agg: RollupAggregator, series: string, value: number, storedAt: number, ts = storedAt) => agg.add(series, value, ts, storedAt, ++seq);

describe('RollupAggregator', () => {
  it('closes a window only once a message stored after its grace has been read', () => {
    const { out, agg } = collect();
    add(agg, 'cpu', 1, 10_100);
    add(agg, 'cpu', 3, 10_900);
    agg.close(11_000 + WINDOW_GRACE_MS - 1);
    expect(out).toEqual([]);
    agg.close(11_000 + WINDOW_GRACE_MS);
    expect(out).toHaveLength(1);
    expect(out[0]![1]).toMatchObject({ t: 10_000, count: 2, sum: 4, min: 1, max: 3, last: 3 });
    expect(agg.closedThrough).toEqual({ '1s': 11_000, '10s': 10_000, '1m': 0 });
  });

  it('takes last by time, not by arrival', () => {
    const { out, agg } = collect();
    add(agg, 'q', 5, 10_900, 10_800);
    add(agg, 'q', 7, 10_950, 10_200);
    agg.close(20_000);
    expect(out[0]![1].last).toBe(5);
  });

  it('feeds the untagged series from a tagged sample', () => {
    const { out, agg } = collect();
    add(agg, 'cpu,host=a', 1, 5_000);
    add(agg, 'cpu,host=b', 2, 5_001);
    agg.close(10_000);
    const by = Object.fromEntries(out.map(([s, r]) => [s, r]));
    expect(by['cpu,host=a']!.count).toBe(1);
    expect(by['cpu,host=b']!.count).toBe(1);
    expect(by['cpu']).toMatchObject({ count: 2, sum: 3 });
  });

  it('decides lateness by when the stream stored a sample, not by any clock', () => {
    const { agg } = collect();
    expect(add(agg, 'x', 1, 2_000 + WINDOW_GRACE_MS, 1_000)).toBe('late');
    expect(add(agg, 'x', 1, 2_000 + WINDOW_GRACE_MS - 1, 1_999)).toBe('accepted');
    expect(add(agg, 'x', 1, 100_000, 100_001 + MAX_FUTURE_MS)).toBe('future');
  });

  it('skips windows stored before it took over, without counting them as dropped', () => {
    const { out, agg } = collect({ '1s': 3_000, '10s': 10_000, '1m': 60_000 });
    // A replay from before the handover: the previous owner accepted and stored this one.
    expect(add(agg, 'x', 1, 3_100, 2_900)).toBe('published');
    expect(add(agg, 'x', 2, 3_200)).toBe('accepted');
    agg.close(5_000);
    expect(out.map(([, r]) => [r.t, r.count])).toEqual([[3_000, 1]]);
  });

  it('computes the same rollups from the same messages, whichever point it took over from', () => {
    const messages = Array.from({ length: 400 }, (_, i) => ({ storedAt: 1_000 + i * 13, ts: 1_000 + i * 13 - (i % 7) * 30, value: Math.sin(i) * 100, seq: i + 1 }));
    const run = (from: number, closed: WindowMarks) => {
      const out: Rollup[] = [];
      const agg = new RollupAggregator(closed, (w, _, r) => w === '1s' && out.push(r));
      for (const m of messages.slice(from)) {
        agg.add('s', m.value, m.ts, m.storedAt, m.seq);
        agg.close(m.storedAt);
      }
      agg.close(Infinity);
      return out;
    };
    const whole = run(0, NONE);
    // A second owner that starts where the first one's checkpoint says: the first seq of an open window.
    const cut = 200;
    const first = new RollupAggregator(NONE, () => undefined);
    for (const m of messages.slice(0, cut)) {
      first.add('s', m.value, m.ts, m.storedAt, m.seq);
      first.close(m.storedAt);
    }
    const resumed = run(first.firstOpenSeq()! - 1, first.closedThrough);
    expect(resumed.length).toBeGreaterThan(0);
    expect(whole.slice(-resumed.length)).toEqual(resumed);
    expect(whole.at(-resumed.length - 1)!.t + 1000).toBe(first.closedThrough['1s']);
  });

  it('keeps windows of one series apart', () => {
    const { out, agg } = collect();
    add(agg, 'x', 1, 1_500);
    add(agg, 'x', 2, 2_500);
    agg.close(2_000 + WINDOW_GRACE_MS);
    expect(out.map(([, r]) => r.t)).toEqual([1_000]);
    agg.close(3_000 + WINDOW_GRACE_MS);
    expect(out.map(([, r]) => r.t)).toEqual([1_000, 2_000]);
  });

  it('floors negative and boundary times to their window', () => {
    expect(windowFloor(2_000)).toBe(2_000);
    expect(windowFloor(2_999)).toBe(2_000);
    expect(windowFloor(-1)).toBe(-1_000);
  });

  it('reports quantiles within the stated relative error, negative values included', () => {
    const { out, agg } = collect();
    const values = Array.from({ length: 5000 }, (_, i) => Math.exp(Math.sin(i) * 4) * (i % 3 === 0 ? -1 : 1));
    for (const v of values) add(agg, 'd', v, 7_000);
    agg.close(Infinity);
    const r = out[0]![1];
    const sorted = [...values].sort((a, b) => a - b);
    for (const [q, got] of [[0.5, r.p50], [0.9, r.p90], [0.99, r.p99]] as const) {
      const rank = q * (sorted.length - 1);
      const candidates = [sorted[Math.floor(rank)]!, sorted[Math.ceil(rank)]!];
      const err = Math.min(...candidates.map((c) => Math.abs(got - c) / Math.abs(c)));
      expect(err, `p${q * 100}`).toBeLessThanOrEqual(QUANTILE_RELATIVE_ACCURACY + 1e-9);
    }
    expect(r.min).toBe(sorted[0]);
    expect(r.max).toBe(sorted.at(-1));
  });

  describe('longer windows', () => {
    /** Five minutes of samples of two hosts, out of order within the grace, stored in stream order. */
    const messages = (() => {
      let x = 7;
      const random = () => (x = (x * 48271) % 2147483647) / 2147483647;
      return Array.from({ length: 6_000 }, (_, i) => {
        const storedAt = 1_000_000 + i * 50;
        return { seq: i + 1, storedAt, ts: storedAt - Math.floor(random() * 200), series: i % 3 === 0 ? 'lat,host=a' : 'lat,host=b', value: Math.floor(random() * 10_000) - 2_000 };
      });
    })();

    function run(from: number, closed: WindowMarks, until = messages.length) {
      const got: Array<[RollupWindow, string, Rollup]> = [];
      const agg = new RollupAggregator(closed, (w, s, r) => got.push([w, s, r]));
      for (const m of messages.slice(from, until)) {
        agg.add(m.series, m.value, m.ts, m.storedAt, m.seq);
        agg.close(m.storedAt);
      }
      return { got, agg };
    }

    it('are exact against the raw samples: count, sum, min, max and last; quantiles within the accuracy', () => {
      const { got, agg } = run(0, NONE);
      agg.close(messages.at(-1)!.storedAt + 120_000);
      for (const w of ['10s', '1m'] as const) {
        const ms = w === '10s' ? 10_000 : 60_000;
        const rollups = got.filter(([gw, s]) => gw === w && s === 'lat').map(([, , r]) => r);
        expect(rollups.length).toBe(new Set(messages.map((m) => Math.floor(m.ts / ms))).size);
        for (const r of rollups) {
          const inside = messages.filter((m) => m.ts >= r.t && m.ts < r.t + ms);
          const values = inside.map((m) => m.value);
          const latest = inside.reduce((a, b) => (b.ts >= a.ts ? b : a));
          expect(r).toMatchObject({ count: values.length, sum: values.reduce((a, b) => a + b, 0), min: Math.min(...values), max: Math.max(...values), last: latest.value });
          const sorted = [...values].sort((a, b) => a - b);
          const truth = sorted[Math.floor(0.99 * (sorted.length - 1))]!;
          expect(Math.abs(r.p99 - truth) / Math.abs(truth)).toBeLessThanOrEqual(QUANTILE_RELATIVE_ACCURACY + 1e-9);
          expect(r.sketch).toBeDefined();
        }
      }
    });

    it('are each stored once, the same to the bit, across handovers at any point', () => {
      const whole = run(0, NONE);
      const key = ([w, s, r]: [RollupWindow, string, Rollup]) => `${w}|${s}|${r.t}`;
      for (const cut of [1, 777, 1_234, 2_500, 3_001, 4_999]) {
        const first = run(0, NONE, cut);
        const from = first.agg.firstOpenSeq();
        const second = run(from === undefined ? cut : from - 1, first.agg.closedThrough);
        const both = [...first.got, ...second.got];
        expect(new Set(both.map(key)).size, `cut at ${cut}`).toBe(both.length);
        expect(both.map((e) => JSON.stringify(e)).sort(), `cut at ${cut}`).toEqual(whole.got.map((e) => JSON.stringify(e)).sort());
      }
    });

    it('leaves out a longer window a lost stretch of the stream cut through, and keeps the seconds after it', () => {
      const { all, agg } = collect();
      add(agg, 'x', 1, 61_500);
      agg.skipThrough(65_000);
      add(agg, 'x', 2, 66_500);
      agg.close(200_000);
      // The ten seconds and the minute that held the lost stretch would be short: neither is stored.
      expect(all.map(([w, , r]) => `${w}@${r.t}`)).toEqual(['1s@66000']);
    });
  });
});
