import { describe, expect, it } from 'vitest';
import { QUANTILE_RELATIVE_ACCURACY } from './rollup.js';
import { mergeRollups } from './rollup-merge.js';
import { Sketch } from './sketch.js';

function sketchOf(values: number[]): Sketch {
  const s = new Sketch();
  for (const v of values) s.add(v);
  return s;
}

function trueQuantile(values: number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(q * (sorted.length - 1))]!;
}

describe('Sketch', () => {
  const values = Array.from({ length: 10_000 }, (_, i) => Math.exp(Math.sin(i * 1.7) * 6) * (i % 4 === 0 ? -1 : 1));

  it('reports quantiles within the relative accuracy, negatives and zeros included', () => {
    const s = sketchOf([...values, 0, 0, 0]);
    for (const q of [0, 0.01, 0.25, 0.5, 0.9, 0.99, 1]) {
      const truth = trueQuantile([...values, 0, 0, 0], q);
      expect(Math.abs(s.quantile(q) - truth), `q=${q}`).toBeLessThanOrEqual(Math.abs(truth) * QUANTILE_RELATIVE_ACCURACY + 1e-12);
    }
  });

  it('merges exactly: the merge of two halves is the sketch of the whole', () => {
    const a = sketchOf(values.slice(0, 3_333));
    a.merge(sketchOf(values.slice(3_333)));
    expect(a.toData()).toEqual(sketchOf(values).toData());
  });

  it('reads back what it wrote, compactly', () => {
    const s = sketchOf([1, 2, 2, 3, 100, -5, 0]);
    const data = s.toData();
    const back = Sketch.fromData(JSON.parse(JSON.stringify(data)));
    expect(back.ok && back.value.toData()).toEqual(data);
    expect(back.ok && back.value.count).toBe(7);
    // One second of a thousand samples between 10 and 20 stays far below a kilobyte.
    expect(JSON.stringify(sketchOf(Array.from({ length: 1000 }, (_, i) => 10 + (i % 100) / 10)).toData()).length).toBeLessThan(600);
  });

  it('is empty without values', () => {
    expect(new Sketch().quantile(0.5)).toBeNaN();
  });

  it.each([
    null,
    [],
    'x',
    {},
    { zero: -1, pos: [], neg: [] },
    { zero: 0.5, pos: [], neg: [] },
    { zero: 0, pos: [1], neg: [] },
    { zero: 0, pos: [1, 0], neg: [] },
    { zero: 0, pos: [1, 2, 0, 1], neg: [] },
    { zero: 0, pos: [1, 2, -1, 1], neg: [] },
    { zero: 0, pos: [1e9, 1], neg: [] },
    { zero: 0, pos: [1, 2], neg: 'no' },
    { zero: 0, pos: Array.from({ length: 20_000 }, () => 1), neg: [] },
    { zero: 2 ** 53, pos: [1, 1], neg: [] },
  ])('refuses %j', (data) => {
    expect(Sketch.fromData(data).ok).toBe(false);
  });
});

describe('mergeRollups', () => {
  const rollupOf = (t: number, vs: number[]) => {
    const s = sketchOf(vs);
    return { t, count: vs.length, sum: vs.reduce((a, b) => a + b, 0), min: Math.min(...vs), max: Math.max(...vs), last: vs.at(-1)!, p50: s.quantile(0.5), p90: s.quantile(0.9), p99: s.quantile(0.99), sketch: s.toData() };
  };

  it('is exact for count, sum, min, max and last, and merges the sketches', () => {
    const merged = mergeRollups(0, [rollupOf(0, [1, 5]), rollupOf(2_000, [7, -3]), rollupOf(1_000, [2])]);
    expect(merged).toMatchObject({ t: 0, count: 5, sum: 12, min: -3, max: 7, last: -3 });
    expect(merged.sketch).toEqual(sketchOf([1, 5, 7, -3, 2]).toData());
  });

  it('estimates the quantiles from the parts when one has no sketch', () => {
    const old = { ...rollupOf(0, [10, 10]) };
    delete (old as { sketch?: unknown }).sketch;
    const merged = mergeRollups(0, [old, rollupOf(1_000, [20, 20])]);
    expect(merged.sketch).toBeUndefined();
    expect(merged.p50).toBeCloseTo(15, 0);
  });
});
