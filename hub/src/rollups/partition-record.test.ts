import { describe, expect, it } from 'vitest';
import { decodeRecord, encodeRecord, type PartitionRecord } from './partition-record.js';

const bytes = (s: string) => new TextEncoder().encode(s);

describe('partition records', () => {
  it.each<PartitionRecord>([
    { owner: 'abc_-1', closedThrough: 1_700_000_000_000, replayFrom: 1 },
    { owner: null, closedThrough: 0, replayFrom: 98_765 },
  ])('read back what was written: %j', (r) => {
    expect(decodeRecord(bytes(encodeRecord(r)))).toEqual({ ok: true, value: r });
  });

  it.each([
    '',
    'null',
    '[]',
    '{"owner":"a","closedThrough":0,"replayFrom":1}',
    '{"v":2,"owner":"a","closedThrough":0,"replayFrom":1}',
    '{"v":1,"owner":"","closedThrough":0,"replayFrom":1}',
    '{"v":1,"owner":7,"closedThrough":0,"replayFrom":1}',
    `{"v":1,"owner":"${'x'.repeat(65)}","closedThrough":0,"replayFrom":1}`,
    '{"v":1,"owner":"a","closedThrough":1.5,"replayFrom":1}',
    '{"v":1,"owner":"a","closedThrough":"0","replayFrom":1}',
    '{"v":1,"owner":"a","closedThrough":0,"replayFrom":0}',
    '{"v":1,"owner":"a","closedThrough":0,"replayFrom":1e300}',
    '{"v":1,"owner":"a","closedThrough":0}',
  ])('refuses %j', (text) => {
    expect(decodeRecord(bytes(text)).ok).toBe(false);
  });
});
