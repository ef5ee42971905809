import { describe, expect, it } from 'vitest';
import { mergePatch, type Json } from '../protocol/merge-patch.js';
import { diffState } from './state-diff.js';

describe('diffState', () => {
  it.each<[Json, Json]>([
    [{ a: 1, b: { c: 2 } }, { a: 1, b: { c: 3 } }],
    [{ players: { x: { y: 1 } } }, { players: {} }],
    [{ a: [1, 2] }, { a: [1, 3] }],
    [{}, { n: { deep: { er: true } } }],
  ])('gives a patch that turns %j into %j', (before, after) => {
    expect(mergePatch(before, diffState(before, after)!)).toEqual(after);
  });

  it('is empty for equal states', () => {
    expect(diffState({ a: { b: [1] } }, { a: { b: [1] } })).toBeUndefined();
  });
});
