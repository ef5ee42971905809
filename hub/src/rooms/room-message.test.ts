import { describe, expect, it } from 'vitest';
import { readRoomMessage } from './room-message.js';

const bytes = (s: string) => Buffer.from(s);
const text = (r: ReturnType<typeof readRoomMessage>) => (r.ok ? JSON.parse(Buffer.from(r.value.data).toString()) : r.error.code);

describe('readRoomMessage', () => {
  it('tags full states and patches with their kind', () => {
    expect(text(readRoomMessage('state', bytes('{"tick":3,"state":{"a":1}}')))).toEqual({ kind: 'state', tick: 3, state: { a: 1 } });
    expect(text(readRoomMessage('state', bytes('{"tick":4,"patch":{"a":null}}')))).toEqual({ kind: 'patch', tick: 4, patch: { a: null } });
  });

  it('wraps any JSON event without reading it twice', () => {
    expect(text(readRoomMessage('events', bytes('[1,"two"]')))).toEqual({ kind: 'event', event: [1, 'two'] });
    expect(text(readRoomMessage('events', bytes('"goal"')))).toEqual({ kind: 'event', event: 'goal' });
  });

  it.each([
    ['state', 'not json'],
    ['state', '{"state":{}}'],
    ['state', '{"tick":"1","state":{}}'],
    ['state', '{"tick":1}'],
    ['state', '{"tick":1,"state":{},"patch":{}}'],
    ['state', '[1]'],
    ['events', '{"unterminated"'],
  ] as const)('refuses %s payload %s', (part, payload) => {
    expect(text(readRoomMessage(part, bytes(payload)))).toBe('bad_request');
  });
});
