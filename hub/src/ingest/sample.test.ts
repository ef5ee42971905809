import { describe, expect, it } from 'vitest';
import { parseMetricPayload } from './sample.js';

const NOW = 1_700_000_000_000;

describe('parseMetricPayload', () => {
  it('reads a bare number with the hub time', () => {
    expect(parseMetricPayload('cpu', '42.5', NOW)).toEqual({ ok: true, value: [{ series: 'cpu', value: 42.5, ts: NOW }] });
  });

  it('reads objects and arrays, merging and sorting tags', () => {
    const r = parseMetricPayload('cpu,zone=eu', '[{"value":1,"ts":123,"tags":{"host":"a"}},2]', NOW);
    expect(r).toEqual({
      ok: true,
      value: [
        { series: 'cpu,host=a,zone=eu', value: 1, ts: 123 },
        { series: 'cpu,zone=eu', value: 2, ts: NOW },
      ],
    });
  });

  it('lets payload tags override subject tags', () => {
    const r = parseMetricPayload('cpu,host=a', '{"value":1,"tags":{"host":"b"}}', NOW);
    expect(r.ok && r.value[0]!.series).toBe('cpu,host=b');
  });

  it.each([
    ['not json', 'x'],
    ['a string value', '{"value":"1"}'],
    ['a missing value', '{"ts":1}'],
    ['infinity', '1e999'],
    ['null', 'null'],
    ['a nested array', '[[1]]'],
    ['a bad ts', '{"value":1,"ts":"now"}'],
    ['a non-string tag', '{"value":1,"tags":{"a":1}}'],
    ['tags as an array', '{"value":1,"tags":["a"]}'],
    ['a tag with a comma', '{"value":1,"tags":{"a":"b,c"}}'],
  ])('refuses %s', (_what, payload) => {
    const r = parseMetricPayload('cpu', payload, NOW);
    expect(r.ok).toBe(false);
  });

  it('refuses a series that cannot be a key', () => {
    expect(parseMetricPayload('cpu,host', '1', NOW).ok).toBe(false);
    expect(parseMetricPayload('a$b', '1', NOW).ok).toBe(false);
  });

  it('keeps __proto__ as a plain tag, never on the prototype', () => {
    const r = parseMetricPayload('cpu', '{"value":1,"tags":{"__proto__":"x"}}', NOW);
    expect(r.ok && r.value[0]!.series).toBe('cpu,__proto__=x');
    expect(({} as Record<string, unknown>).x).toBeUndefined();
  });
});
