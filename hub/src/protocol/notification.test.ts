import { describe, expect, it } from 'vitest';
import { readNotificationInput } from './notification.js';
import { conditionHolds, readAlertRuleInput } from './alert.js';

describe('readNotificationInput', () => {
  it('takes the fields it knows and nothing else', () => {
    expect(readNotificationInput({ title: 'Deploy done', body: 'v42', kind: 'deploy', data: { url: '/hubs', n: 1 }, key: 'k1', extra: 'dropped' })).toEqual({
      ok: true,
      value: { title: 'Deploy done', body: 'v42', kind: 'deploy', data: { url: '/hubs', n: 1 }, key: 'k1' },
    });
  });

  it.each([
    null,
    [],
    'title',
    {},
    { title: '   ' },
    { title: 7 },
    { title: 'x'.repeat(201) },
    { title: 't', body: 'x'.repeat(2_001) },
    { title: 't', kind: 'UPPER' },
    { title: 't', kind: 'a b' },
    { title: 't', key: '' },
    { title: 't', data: 'x' },
    { title: 't', data: { url: 'javascript:alert(1)' } },
    { title: 't', data: { url: '//evil.example/' } },
    { title: 't', data: { deep: { a: { b: { c: { d: { e: { f: { g: { h: 1 } } } } } } } } } },
    { title: 't', data: { big: 'x'.repeat(4_100) } },
  ])('refuses %j', (raw) => {
    expect(readNotificationInput(raw).ok).toBe(false);
  });
});

describe('readAlertRuleInput', () => {
  const good = { series: 'http.latency_ms,route=login', stat: 'p99', op: '>=', threshold: 250, for: 10 };

  it('takes a rule on a tagged series', () => {
    expect(readAlertRuleInput(good)).toEqual({ ok: true, value: good });
  });

  it.each([
    { ...good, series: 'b,z=1,a=2' },
    { ...good, series: 'a..b' },
    { ...good, series: 'x,host' },
    { ...good, stat: 'p42' },
    { ...good, op: '!=' },
    { ...good, threshold: Infinity },
    { ...good, threshold: '5' },
    { ...good, for: 0 },
    { ...good, for: 1.5 },
    { ...good, for: 3_601 },
  ])('refuses %j', (raw) => {
    expect(readAlertRuleInput(raw).ok).toBe(false);
  });

  it('reads mean as sum over count', () => {
    const r = { t: 0, count: 4, sum: 10, min: 1, max: 4, last: 4, p50: 2, p90: 4, p99: 4 };
    expect(conditionHolds({ ...good, stat: 'mean', op: '>', threshold: 2.4 }, r)).toBe(true);
    expect(conditionHolds({ ...good, stat: 'mean', op: '>', threshold: 2.5 }, r)).toBe(false);
  });
});
