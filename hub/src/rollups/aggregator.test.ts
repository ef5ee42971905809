import { describe, expect, it } from 'vitest';
import type { Rollup } from '../protocol/index.js';
import { RollupAggregator, WINDOW_GRACE_MS } from './aggregator.js';
import { QUANTILE_RELATIVE_ACCURACY } from './window.js';

function collect() {
  const out: Array<[string, Rollup]> = [];
  return { out, agg: new RollupAggregator((s, r) => out.push([s, r])) };
}

describe('RollupAggregator', () => {
  it('closes a window only once its grace has passed', () => {
    const { out, agg } = collect();
    agg.add('cpu', 1, 10_100, 10_100);
    agg.add('cpu', 3, 10_900, 10_900);
    agg.flush(11_000 + WINDOW_GRACE_MS - 1);
    expect(out).toEqual([]);
    agg.flush(11_000 + WINDOW_GRACE_MS);
    expect(out).toHaveLength(1);
    expect(out[0]![1]).toMatchObject({ t: 10_000, count: 2, sum: 4, min: 1, max: 3, last: 3 });
  });

  it('takes last by time, not by arrival', () => {
    const { out, agg } = collect();
    agg.add('q', 5, 10_800, 10_900);
    agg.add('q', 7, 10_200, 10_950);
    agg.flushAll();
    expect(out[0]![1].last).toBe(5);
  });

  it('feeds the untagged series from a tagged sample', () => {
    const { out, agg } = collect();
    agg.add('cpu,host=a', 1, 5_000, 5_000);
    agg.add('cpu,host=b', 2, 5_001, 5_001);
    agg.flushAll();
    const by = Object.fromEntries(out.map(([s, r]) => [s, r]));
    expect(by['cpu,host=a']!.count).toBe(1);
    expect(by['cpu,host=b']!.count).toBe(1);
    expect(by['cpu']).toMatchObject({ count: 2, sum: 3 });
  });

  it('refuses samples for closed windows and from the far future', () => {
    const { agg } = collect();
    expect(agg.add('x', 1, 1_000, 2_000 + WINDOW_GRACE_MS)).toBe('late');
    expect(agg.add('x', 1, 2_000, 2_000 + WINDOW_GRACE_MS)).toBe('accepted');
    expect(agg.add('x', 1, 200_000, 100_000)).toBe('future');
  });

  it('keeps windows of one series apart', () => {
    const { out, agg } = collect();
    agg.add('x', 1, 1_500, 1_500);
    agg.add('x', 2, 2_500, 2_500);
    agg.flush(2_000 + WINDOW_GRACE_MS);
    expect(out.map(([, r]) => r.t)).toEqual([1_000]);
    agg.flush(3_000 + WINDOW_GRACE_MS);
    expect(out.map(([, r]) => r.t)).toEqual([1_000, 2_000]);
  });

  it('reports quantiles within the stated relative error, negative values included', () => {
    const { out, agg } = collect();
    const values = Array.from({ length: 5000 }, (_, i) => Math.exp(Math.sin(i) * 4) * (i % 3 === 0 ? -1 : 1));
    for (const v of values) agg.add('d', v, 7_000, 7_000);
    agg.flushAll();
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
});
