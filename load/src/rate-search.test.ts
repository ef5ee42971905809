import { describe, expect, it } from 'vitest';
import { searchRate } from './rate-search.js';

const plan = { start: 10, growth: 1.5, refinements: 2, max: 1000, min: 1 };

describe('searchRate', () => {
  it('grows until a failure, then narrows down between pass and fail', async () => {
    const { best, steps } = await searchRate(plan, async (rate) => ({ rate, ok: rate <= 40 }));
    expect(steps.map((s) => s.rate)).toEqual([10, 15, 23, 35, 53, 43, 39]);
    expect(best?.rate).toBe(39);
  });

  it('goes down when even the start fails', async () => {
    const { best } = await searchRate(plan, async (rate) => ({ rate, ok: rate <= 3 }));
    expect(best?.rate).toBeLessThanOrEqual(3);
    expect(best?.rate).toBeGreaterThanOrEqual(1.5);
  });

  it('stops at the maximum', async () => {
    const { best, steps } = await searchRate({ ...plan, max: 30 }, async (rate) => ({ rate, ok: true }));
    expect(best?.rate).toBe(23);
    expect(steps).toHaveLength(3);
  });
});
