import { ROLLUP_WINDOW_MS, baseSeries, type Rollup } from '../protocol/index.js';
import { WindowAccumulator } from './window.js';

/**
 * How long a window stays open after its end for samples that arrive late
 * (network and batching delay). Later samples are counted and dropped.
 */
export const WINDOW_GRACE_MS = 250;

/** Samples further in the future than this are clock errors, not data. */
export const MAX_FUTURE_MS = 60_000;

export type SampleOutcome = 'accepted' | 'late' | 'future';

/**
 * Rolls samples up per series into one-second windows. A sample with tags
 * feeds its tagged series and the untagged series of the same name.
 */
export class RollupAggregator {
  /** series -> window start -> accumulator; holds at most a couple of windows per series. */
  private readonly open = new Map<string, Map<number, WindowAccumulator>>();

  constructor(private readonly emit: (series: string, rollup: Rollup) => void) {}

  add(series: string, value: number, ts: number, now: number): SampleOutcome {
    const start = ts - (ts % ROLLUP_WINDOW_MS);
    if (start + ROLLUP_WINDOW_MS + WINDOW_GRACE_MS <= now) return 'late';
    if (ts > now + MAX_FUTURE_MS) return 'future';
    this.window(series, start).add(value, ts);
    const base = baseSeries(series);
    if (base !== series) this.window(base, start).add(value, ts);
    return 'accepted';
  }

  /** Closes every window whose grace has passed, oldest first per series. */
  flush(now: number): number {
    let emitted = 0;
    for (const [series, windows] of this.open) {
      for (const [start, acc] of windows) {
        if (start + ROLLUP_WINDOW_MS + WINDOW_GRACE_MS > now) continue;
        windows.delete(start);
        this.emit(series, acc.toRollup());
        emitted++;
      }
      if (windows.size === 0) this.open.delete(series);
    }
    return emitted;
  }

  /** Emits every open window now, for a clean shutdown. */
  flushAll(): void {
    this.flush(Infinity);
  }

  private window(series: string, start: number): WindowAccumulator {
    let windows = this.open.get(series);
    if (!windows) {
      windows = new Map();
      this.open.set(series, windows);
    }
    let acc = windows.get(start);
    if (!acc) {
      acc = new WindowAccumulator(start);
      windows.set(start, acc);
    }
    return acc;
  }
}
