import { describe, expect, it } from 'vitest';
import { TokenBucket } from './token-bucket.js';

describe('TokenBucket', () => {
  it('allows a burst, then the sustained rate', () => {
    const b = new TokenBucket(10, 5, 0);
    expect(Array.from({ length: 6 }, () => b.take(0))).toEqual([true, true, true, true, true, false]);
    expect(b.take(50)).toBe(false);
    expect(b.take(100)).toBe(true);
    expect(b.take(100)).toBe(false);
    expect(Array.from({ length: 6 }, () => b.take(10_000)).filter(Boolean)).toHaveLength(5);
  });

  it('takes several tokens at once, or none when it holds fewer', () => {
    const b = new TokenBucket(1000, 5000, 0);
    expect(b.take(0, 4000)).toBe(true);
    expect(b.take(0, 1001)).toBe(false);
    expect(b.take(0, 1000)).toBe(true);
    expect(b.take(999, 1000)).toBe(false);
    expect(b.take(1000, 1000)).toBe(true);
  });
});
