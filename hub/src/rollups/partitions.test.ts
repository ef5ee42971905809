import { describe, expect, it } from 'vitest';
import { partitionOf, ROLLUP_PARTITIONS } from './partitions.js';

describe('partitionOf', () => {
  it('puts every tag set of a name in the partition of the name', () => {
    for (let i = 0; i < 200; i++) {
      const name = `svc${i}.latency`;
      expect(partitionOf(`${name},host=a,zone=b`)).toBe(partitionOf(name));
    }
  });

  it('spreads names over every partition, roughly evenly', () => {
    const counts = new Array<number>(ROLLUP_PARTITIONS).fill(0);
    for (let i = 0; i < 32_000; i++) counts[partitionOf(`svc${i}.latency`)]!++;
    expect(Math.min(...counts)).toBeGreaterThan(700);
    expect(Math.max(...counts)).toBeLessThan(1300);
  });
});
