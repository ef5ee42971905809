import { describe, expect, it } from 'vitest';
import { resolutionFor } from './history.js';

const MIN = 60_000;
const HOUR = 60 * MIN;

describe('resolutionFor', () => {
  it.each([
    [5 * MIN, { window: '1s' }],
    [15 * MIN, { window: '1s' }],
    [HOUR, { window: '10s' }],
    [4 * HOUR, { window: '10s' }],
    [6 * HOUR, { window: '1m' }],
    [24 * HOUR, { window: '1m' }],
    [7 * 24 * HOUR, { window: '1m', step: 10 * MIN }],
  ])('draws %i ms in at most 1,500 points from the finest window that holds it', (span, want) => {
    expect(resolutionFor(span)).toEqual(want);
  });

  it('takes a longer window when a short range lies further back than the finer one keeps', () => {
    expect(resolutionFor(5 * MIN, 2 * HOUR)).toEqual({ window: '10s' });
    expect(resolutionFor(5 * MIN, 2 * 24 * HOUR)).toEqual({ window: '1m' });
  });
});
