import { describe, expect, it } from 'vitest';
import { decodeCursor, encodeCursor } from './cursor.js';

describe('cursor', () => {
  it('round-trips positions, leaving out channels without one', () => {
    expect(encodeCursor([])).toBe('v1');
    const text = encodeCursor([
      { ch: 'metrics:cpu,host=a', position: 15 },
      { ch: 'room:syncing', position: undefined },
      { ch: 'room:lobby', position: 7 },
    ]);
    expect(text).toBe('v1;metrics:cpu,host=a@15;room:lobby@7');
    expect(decodeCursor(text)).toEqual({ ok: true, value: { positions: new Map([['metrics:cpu,host=a', 15], ['room:lobby', 7]]) } });
  });

  it('carries the number of the poll answer it came with', () => {
    const text = encodeCursor([{ ch: 'room:lobby', position: 7 }], 12);
    expect(text).toBe('v1~12;room:lobby@7');
    expect(decodeCursor(text)).toEqual({ ok: true, value: { positions: new Map([['room:lobby', 7]]), answer: 12 } });
    expect(decodeCursor('v1~3')).toEqual({ ok: true, value: { positions: new Map(), answer: 3 } });
  });

  it.each(['', 'v2;metrics:a@1', 'v1;metrics:a', 'v1;metrics:a@x', 'v1;metrics:a@-1', 'v1;nope@1', 'v1;metrics:a b@1', 'eyJ2IjoxfQ', 'v1~', 'v1~-1', 'v1~1.5', 'v1~x', 'v1~1234567890123456', `v1${';metrics:a@1'.repeat(5000)}`])(
    'refuses %j',
    (text) => {
      const r = decodeCursor(text);
      expect(r.ok).toBe(false);
      if (!r.ok) expect(r.error.code).toBe('bad_request');
    },
  );
});
