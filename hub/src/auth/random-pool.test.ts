import { describe, expect, it } from 'vitest';
import { randomString } from './random-pool.js';

describe('randomString', () => {
  it('gives the asked length in each encoding', () => {
    expect(randomString(6, 'hex')).toMatch(/^[0-9a-f]{12}$/);
    expect(randomString(12, 'base64url')).toMatch(/^[A-Za-z0-9_-]{16}$/);
  });

  it('never hands out the same bytes twice, across refills of the pool', () => {
    const seen = new Set<string>();
    // 3,000 draws of 12 bytes span about nine refills.
    for (let i = 0; i < 3_000; i++) seen.add(randomString(12, 'hex'));
    expect(seen.size).toBe(3_000);
  });

  it('refuses more than a pool at once rather than repeating bytes', () => {
    expect(() => randomString(5_000, 'hex')).toThrow(RangeError);
  });
});
