import { describe, expect, it } from 'vitest';
import { NOTHING_READ, decodeReadState, encodeReadState, isRead, withRead, withReadUpTo } from './read-state.js';

const bytes = (s: string) => new TextEncoder().encode(s);

describe('read state', () => {
  it('marks all up to a seq, and one by one after it', () => {
    const s = withRead(withReadUpTo(NOTHING_READ, 10), 'late');
    expect(isRead(s, 10, 'a')).toBe(true);
    expect(isRead(s, 11, 'b')).toBe(false);
    expect(isRead(s, 12, 'late')).toBe(true);
    // A read-all for an older seq never unreads anything.
    expect(withReadUpTo(s, 5)).toBe(s);
  });

  it('reads back what it wrote', () => {
    const s = withRead(withReadUpTo(NOTHING_READ, 42), 'n-1');
    expect(decodeReadState(bytes(encodeReadState(s)))).toEqual({ ok: true, value: s });
  });

  it.each(['', 'null', '{"upTo":1,"ids":[]}', '{"v":2,"upTo":1,"ids":[]}', '{"v":1,"upTo":-1,"ids":[]}', '{"v":1,"upTo":1.5,"ids":[]}', '{"v":1,"upTo":1,"ids":[7]}', '{"v":1,"upTo":1}'])('refuses %j', (text) => {
    expect(decodeReadState(bytes(text)).ok).toBe(false);
  });
});
