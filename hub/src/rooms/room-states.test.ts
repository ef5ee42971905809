import { describe, expect, it } from 'vitest';
import type { RoomHistory } from './room-history.js';
import { RoomStates, type EvictionReason } from './room-states.js';

// A room history with nothing stored: every room loads as empty, and loads are counted.
function emptyHistory() {
  const loads: string[] = [];
  const history = {
    lastSeq: async (room: string) => {
      loads.push(room);
      return 0;
    },
    sinceLastFullState: async () => ({ messages: [], complete: true }),
  } as unknown as RoomHistory;
  return { history, loads };
}

function states(limits: { idleMs?: number; maxRooms?: number; maxBytes?: number }, watched: Set<string> = new Set()) {
  const { history, loads } = emptyHistory();
  const evicted: Array<[string, EvictionReason]> = [];
  const s = new RoomStates(history, { idleMs: 1_000, maxRooms: 1_000, maxBytes: 1 << 30, ...limits }, (r) => watched.has(r), (r, why) => evicted.push([r, why]));
  return { s, loads, evicted, watched };
}

describe('RoomStates', () => {
  it('drops a room nobody here has watched for the idle time, and reads it again when asked', async () => {
    const { s, loads, evicted } = states({ idleMs: 1_000 });
    await s.snapshot('a');
    s.sweep(Date.now() + 500);
    expect(s.size).toBe(1);
    s.sweep(Date.now() + 1_500);
    expect(s.size).toBe(0);
    expect(evicted).toEqual([['a', 'idle']]);
    await s.snapshot('a');
    expect(loads).toEqual(['a', 'a']);
  });

  it('keeps a watched room however long', async () => {
    const { s, watched } = states({ idleMs: 1_000 });
    await s.snapshot('kept');
    watched.add('kept');
    s.sweep(Date.now() + 60_000);
    expect(s.size).toBe(1);
  });

  it('past the count, drops the least recently used unwatched rooms first', async () => {
    const { s, evicted, watched } = states({ maxRooms: 3, idleMs: 3_600_000 });
    for (const r of ['r1', 'r2', 'r3', 'r4', 'r5']) await s.snapshot(r);
    watched.add('r1');
    await s.snapshot('r2');
    s.sweep(Date.now());
    expect(s.size).toBe(3);
    expect(evicted).toEqual([['r3', 'count'], ['r4', 'count']]);
  });

  it('past the bytes, drops unwatched rooms until under', async () => {
    const { s, evicted } = states({ maxBytes: 100, idleMs: 3_600_000 });
    for (let i = 0; i < 5; i++) {
      await s.snapshot(`b${i}`);
      s.observe(`b${i}`, i + 1, 0, { tick: 1, state: { pad: 'x'.repeat(40) } });
    }
    s.sweep(Date.now());
    expect(s.sizeBytes).toBeLessThanOrEqual(100);
    expect(evicted.every(([, why]) => why === 'bytes')).toBe(true);
    expect(s.size).toBe(2);
  });
});
