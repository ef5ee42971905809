import { describe, expect, it } from 'vitest';
import { matchesSearch, readSeriesSearch } from './series-search.js';

const search = (q: string) => {
  const r = readSeriesSearch(new URLSearchParams(q));
  if (!r.ok) throw new Error(r.error.message);
  return r.value!;
};

describe('series search', () => {
  it('asks for nothing when the query has no search, as version 1 listed every series', () => {
    expect(readSeriesSearch(new URLSearchParams(''))).toEqual({ ok: true, value: undefined });
  });

  it('matches a name prefix and every tag filter', () => {
    const s = search('q=cpu.&tag=host=a&tag=zone');
    expect(matchesSearch('cpu.usage,host=a,zone=eu', s)).toBe(true);
    expect(matchesSearch('cpu.usage,host=b,zone=eu', s)).toBe(false);
    expect(matchesSearch('cpu.usage,host=a', s)).toBe(false);
    expect(matchesSearch('mem.used,host=a,zone=eu', s)).toBe(false);
    expect(matchesSearch('cpu.usage', search('q=cpu'))).toBe(true);
  });

  it.each(['limit=0', 'limit=1001', 'limit=ten', 'tag==x', 'last=1&limit=500'])('refuses %s', (q) => {
    const r = readSeriesSearch(new URLSearchParams(q));
    expect(r.ok).toBe(false);
  });
});
