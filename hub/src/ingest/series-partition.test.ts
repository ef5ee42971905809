import { describe, expect, it } from 'vitest';
import { ownsSubjectSeries } from './series-partition.js';

describe('ownsSubjectSeries', () => {
  it('gives every name to exactly one worker, with all its tag sets', () => {
    const names = Array.from({ length: 500 }, (_, i) => `svc${i}.latency`);
    const owners = names.map((n) => [0, 1, 2].filter((index) => ownsSubjectSeries({ index, count: 3 }, n)));
    expect(owners.every((o) => o.length === 1)).toBe(true);
    for (const [i, n] of names.entries()) {
      expect(ownsSubjectSeries({ index: owners[i]![0]!, count: 3 }, `${n},host=a,zone=b`)).toBe(true);
    }
    // Spread roughly evenly.
    const per = [0, 1, 2].map((w) => owners.filter((o) => o[0] === w).length);
    expect(Math.min(...per)).toBeGreaterThan(120);
  });

  it('owns everything with one worker', () => {
    expect(ownsSubjectSeries({ index: 0, count: 1 }, 'x')).toBe(true);
  });
});
