import { describe, expect, it } from 'vitest';
import { parseChannel } from './channel.js';
import { seriesKey } from './series.js';

describe('parseChannel', () => {
  it('splits kind and name', () => {
    expect(parseChannel('metrics:cpu.usage,host=web1')).toEqual({ ok: true, value: { kind: 'metrics', name: 'cpu.usage,host=web1', ch: 'metrics:cpu.usage,host=web1' } });
    expect(parseChannel('room:lobby').ok).toBe(true);
    expect(parseChannel('inbox:user-1').ok).toBe(true);
    expect(parseChannel('page:charts').ok).toBe(true);
  });

  it.each([undefined, 5, '', 'metrics', 'metrics:', 'chat:x', 'metrics:a b', 'metrics:a:b', `room:${'x'.repeat(201)}`])('refuses %j', (ch) => {
    const r = parseChannel(ch);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error.code).toBe('bad_request');
  });
});

describe('seriesKey', () => {
  it('sorts tags by key', () => {
    expect(seriesKey('cpu', { zone: 'eu', host: 'a' })).toEqual({ ok: true, value: 'cpu,host=a,zone=eu' });
  });
  it('refuses empty dot segments', () => {
    expect(seriesKey('a..b').ok).toBe(false);
    expect(seriesKey('.a').ok).toBe(false);
  });
});
