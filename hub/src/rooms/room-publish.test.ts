import { describe, expect, it } from 'vitest';
import { CHAT_MAX_CHARS } from '../protocol/index.js';
import { readRoomPublish } from './room-publish.js';

describe('readRoomPublish', () => {
  it('takes the three kinds of the contract', () => {
    expect(readRoomPublish({ kind: 'input', input: { dx: 1 } })).toEqual({ ok: true, value: { kind: 'input', input: { dx: 1 } } });
    expect(readRoomPublish({ kind: 'chat', text: 'hi' })).toEqual({ ok: true, value: { kind: 'chat', text: 'hi' } });
    expect(readRoomPublish({ kind: 'typing', on: false })).toEqual({ ok: true, value: { kind: 'typing', on: false } });
  });

  it('limits chat to 500 characters, counting emoji as one', () => {
    expect(readRoomPublish({ kind: 'chat', text: '😀'.repeat(CHAT_MAX_CHARS) }).ok).toBe(true);
    const long = readRoomPublish({ kind: 'chat', text: 'x'.repeat(CHAT_MAX_CHARS + 1) });
    expect(long.ok === false && long.error.code).toBe('too_large');
  });

  it.each([null, 1, [], {}, { kind: 'shout' }, { kind: 'input' }, { kind: 'chat', text: '  ' }, { kind: 'chat', text: 3 }, { kind: 'typing', on: 'yes' }])('refuses %j', (data) => {
    const r = readRoomPublish(data);
    expect(r.ok === false && r.error.code).toBe('bad_request');
  });
});
