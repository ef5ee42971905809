import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { SlicedRound } from './sliced-timer.js';

describe('SlicedRound', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('visits every member once per interval, a slice at a time', () => {
    const visits = new Map<number, number>();
    const round = new SlicedRound<number>(1_000, (m) => visits.set(m, (visits.get(m) ?? 0) + 1));
    for (let i = 0; i < 1_000; i++) round.add(i);
    vi.advanceTimersByTime(100);
    expect(visits.size).toBe(100);
    vi.advanceTimersByTime(900);
    expect(visits.size).toBe(1_000);
    expect(Math.max(...visits.values())).toBe(1);
    round.stop();
  });

  it('takes members added later into the next round and skips deleted ones', () => {
    const seen: string[] = [];
    const round = new SlicedRound<string>(200, (m) => seen.push(m));
    round.add('a');
    round.add('b');
    round.delete('b');
    vi.advanceTimersByTime(200);
    round.add('c');
    vi.advanceTimersByTime(200);
    expect(seen.filter((s) => s === 'b')).toEqual([]);
    expect(seen).toContain('c');
    round.stop();
  });

  // With fewer members than slices, each tick used to start a new round: one socket was pinged every
  // 100 ms and dropped if its pong took longer, whatever HUB_WS_PING_MS said.
  it('visits a lone member once per interval, not once per slice', () => {
    let visits = 0;
    const round = new SlicedRound<string>(15_000, () => visits++);
    round.add('only');
    vi.advanceTimersByTime(15_000);
    expect(visits).toBe(1);
    vi.advanceTimersByTime(15_000);
    expect(visits).toBe(2);
    round.stop();
  });
});
