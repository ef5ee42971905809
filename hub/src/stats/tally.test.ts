import { describe, expect, it } from 'vitest';
import { Tally } from './tally.js';

describe('Tally', () => {
  it('counts per key and forgets a key that falls to zero', () => {
    const t = new Tally<string>();
    t.add('a');
    t.add('a');
    t.add('b');
    expect([t.get('a'), t.get('b'), t.get('c'), t.size]).toEqual([2, 1, 0, 2]);
    t.remove('a');
    t.remove('b');
    expect([t.get('a'), t.has('b'), t.size]).toEqual([1, false, 1]);
    // A remove without an add leaves nothing behind.
    t.remove('c');
    expect([t.has('c'), t.size]).toEqual([false, 1]);
  });
});
