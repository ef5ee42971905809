import { describe, expect, it } from 'vitest';
import { Positions, decodeCursor } from './cursor.js';

describe('cursor', () => {
  it('round-trips positions', () => {
    const p = new Positions();
    expect(p.encode()).toBe('v1');
    p.set('metrics:cpu,host=a', 12);
    p.set('room:lobby', 7);
    p.set('metrics:cpu,host=a', 15);
    const decoded = decodeCursor(p.encode());
    expect(decoded).toEqual({ ok: true, value: new Map([['metrics:cpu,host=a', 15], ['room:lobby', 7]]) });
    p.delete('room:lobby');
    expect(p.encode()).toBe('v1;metrics:cpu,host=a@15');
  });

  it.each(['', 'v2;metrics:a@1', 'v1;metrics:a', 'v1;metrics:a@x', 'v1;metrics:a@-1', 'v1;nope@1', 'v1;metrics:a b@1', 'eyJ2IjoxfQ', `v1${';metrics:a@1'.repeat(5000)}`])(
    'refuses %j',
    (text) => {
      const r = decodeCursor(text);
      expect(r.ok).toBe(false);
      if (!r.ok) expect(r.error.code).toBe('bad_request');
    },
  );
});
