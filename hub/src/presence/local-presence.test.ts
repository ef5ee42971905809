import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { LocalPresence, type PresenceWrites } from './local-presence.js';

const ann = { id: 'ann', name: 'Ann', role: 'viewer' as const };
const GRACE = 5_000;

function setup(maxEntries?: number) {
  const log: string[] = [];
  const writes: PresenceWrites = {
    put: (ch, m, n) => log.push(`put ${ch} ${m.id} ${n}`),
    remove: (ch, id) => log.push(`remove ${ch} ${id}`),
  };
  return { log, local: new LocalPresence(writes, GRACE, maxEntries) };
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

  it('writes no entry past its cap, counts those in grace, and frees a place when one ends', () => {
    const { log, local } = setup(2);
    expect(local.enter('page:a', ann)).toBe(true);
    expect(local.enter('page:b', ann)).toBe(true);
    // Another session of a user already present needs no new entry.
    expect(local.enter('page:b', ann)).toBe(true);
    expect(local.enter('page:c', ann)).toBe(false);
    local.leave('page:a', ann);
    expect(local.enter('page:c', ann)).toBe(false);
    vi.advanceTimersByTime(GRACE);
    expect(local.size).toBe(1);
    expect(local.enter('page:c', ann)).toBe(true);
    expect(log.filter((l) => l.includes('page:c'))).toEqual(['put page:c ann 1']);
  });
});
