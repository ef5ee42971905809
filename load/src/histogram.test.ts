import { describe, expect, it } from 'vitest';
import { Histogram } from './histogram.js';

describe('Histogram', () => {
  it('gives quantiles within 1% of the exact ones', () => {
    const h = new Histogram();
    const values = Array.from({ length: 10_000 }, (_, i) => 0.05 + ((i * 7919) % 10_000) / 50);
    for (const v of values) h.record(v);
    const sorted = [...values].sort((a, b) => a - b);
    for (const q of [0.5, 0.99, 0.999]) {
      const exact = sorted[Math.ceil(q * sorted.length) - 1]!;
      expect(Math.abs(h.quantile(q) - exact) / exact).toBeLessThanOrEqual(0.0101);
    }
  });

  it('merges across processes by adding buckets', () => {
    const a = new Histogram();
    const b = new Histogram();
    for (let i = 1; i <= 100; i++) (i % 2 ? a : b).record(i);
    const merged = Histogram.fromSparse(a.toSparse());
    merged.merge(Histogram.fromSparse(b.toSparse()));
    expect(merged.total).toBe(100);
    expect(merged.max).toBe(100);
    expect(merged.quantile(0.5)).toBeCloseTo(50, -0.3);
  });

  it('is zero when empty', () => {
    expect(new Histogram().quantile(0.99)).toBe(0);
  });
});
