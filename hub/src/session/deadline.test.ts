import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { Deadline, MAX_TIMER_MS } from './deadline.js';

const DAY = 24 * 3600 * 1000;

describe('Deadline', () => {
  beforeEach(() => vi.useFakeTimers({ now: 0 }));
  afterEach(() => vi.useRealTimers());

  it('fires a 90-day deadline after 90 days, not before', () => {
    const fn = vi.fn();
    new Deadline(90 * DAY, fn);
    vi.advanceTimersByTime(1);
    expect(fn).not.toHaveBeenCalled();
    vi.advanceTimersByTime(MAX_TIMER_MS);
    expect(fn).not.toHaveBeenCalled();
    vi.advanceTimersByTime(90 * DAY - MAX_TIMER_MS - 2);
    expect(fn).not.toHaveBeenCalled();
    vi.advanceTimersByTime(1);
    expect(fn).toHaveBeenCalledTimes(1);
  });

  it('fires on the next turn for a time already past, and never after cancel', () => {
    const past = vi.fn();
    new Deadline(-5, past);
    expect(past).not.toHaveBeenCalled();
    vi.advanceTimersByTime(0);
    expect(past).toHaveBeenCalledTimes(1);
    const cancelled = vi.fn();
    new Deadline(30 * DAY, cancelled).cancel();
    vi.advanceTimersByTime(31 * DAY);
    expect(cancelled).not.toHaveBeenCalled();
  });
});
