import { describe, expect, it } from 'vitest';
import { decodeRecord, encodeRecord, type PartitionRecord } from './partition-record.js';

const bytes = (s: string) => new TextEncoder().encode(s);

describe('partition records', () => {
  it.each<PartitionRecord>([
    { owner: 'abc_-1', closedThrough: { '1s': 1_700_000_001_000, '10s': 1_700_000_000_000, '1m': 1_699_999_980_000 }, replayFrom: 1 },
    { owner: null, closedThrough: { '1s': 0, '10s': 0, '1m': 0 }, replayFrom: 98_765 },
  ])('read back what was written: %j', (r) => {
    expect(decodeRecord(bytes(encodeRecord(r)))).toEqual({ ok: true, value: r });
  });

  it('reads a version 1 record, leaving out the longer windows it cut through', () => {
    expect(decodeRecord(bytes('{"v":1,"owner":"a","closedThrough":61000,"replayFrom":9}'))).toEqual({
      ok: true,
      value: { owner: 'a', closedThrough: { '1s': 61_000, '10s': 70_000, '1m': 120_000 }, replayFrom: 9 },
    });
  });

  it.each([
    '',
    'null',
    '[]',
    '{"owner":"a","closedThrough":0,"replayFrom":1}',
    '{"v":3,"owner":"a","closedThrough":0,"replayFrom":1}',
    '{"v":2,"owner":"a","closedThrough":0,"replayFrom":1}',
    '{"v":2,"owner":"a","closedThrough":{"1s":0,"10s":0},"replayFrom":1}',
    '{"v":2,"owner":"a","closedThrough":{"1s":0,"10s":5000,"1m":0},"replayFrom":1}',
    '{"v":2,"owner":"a","closedThrough":null,"replayFrom":1}',
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
