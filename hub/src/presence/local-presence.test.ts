import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { LocalPresence, type PresenceWrites } from './local-presence.js';

const ann = { id: 'ann', name: 'Ann', role: 'viewer' as const };
const GRACE = 5_000;

function setup() {
  const log: string[] = [];
  const writes: PresenceWrites = {
    put: (ch, m, n) => log.push(`put ${ch} ${m.id} ${n}`),
    remove: (ch, id) => log.push(`remove ${ch} ${id}`),
  };
  return { log, local: new LocalPresence(writes, GRACE) };
}

describe('LocalPresence', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('counts tabs and removes the entry only after the grace', () => {
    const { log, local } = setup();
    local.enter('room:a', ann);
    local.enter('room:a', ann);
    local.leave('room:a', ann);
    local.leave('room:a', ann);
    vi.advanceTimersByTime(GRACE - 1);
    expect(log).toEqual(['put room:a ann 1', 'put room:a ann 2', 'put room:a ann 1', 'put room:a ann 0']);
    vi.advanceTimersByTime(1);
    expect(log.at(-1)).toBe('remove room:a ann');
  });

  it('keeps the entry when the user comes back within the grace', () => {
    const { log, local } = setup();
    local.enter('room:a', ann);
    local.leave('room:a', ann);
    vi.advanceTimersByTime(GRACE - 100);
    local.enter('room:a', ann);
    vi.advanceTimersByTime(GRACE * 2);
    expect(log).toEqual(['put room:a ann 1', 'put room:a ann 0', 'put room:a ann 1']);
    expect(local.entry('room:a', 'ann')?.sessions).toBe(1);
  });

  it('ignores a leave without an enter', () => {
    const { log, local } = setup();
    local.leave('room:a', ann);
    expect(log).toEqual([]);
  });
});
