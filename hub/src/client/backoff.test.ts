import { describe, expect, it } from 'vitest';
import { BACKOFF_MAX_MS, BACKOFF_MIN_MS, backoffDelay } from './backoff.js';

describe('backoffDelay', () => {
  it('stays within 0.5 s and 30 s and grows its cap with attempts', () => {
    expect(backoffDelay(0, () => 0)).toBe(BACKOFF_MIN_MS);
    expect(backoffDelay(3, () => 0.999)).toBe(Math.floor(0.999 * BACKOFF_MIN_MS * 8));
    expect(backoffDelay(50, () => 0.999)).toBeLessThanOrEqual(BACKOFF_MAX_MS);
    expect(backoffDelay(50, () => 0.999)).toBeGreaterThan(BACKOFF_MAX_MS * 0.99);
  });
});
