import { ROLLUP_WINDOW_MS, baseSeries, type Rollup } from '../protocol/index.js';
import { WindowAccumulator } from './window.js';

/**
 * How long a window stays open after its end for samples that arrive late
 * (network and batching delay). Later samples are counted and dropped.
 */
export const WINDOW_GRACE_MS = 250;

/** Samples further in the future than this are clock errors, not data. */
export const MAX_FUTURE_MS = 60_000;

/**
 * `published`: the sample's window was closed and stored before this
 * aggregator took over (a replay after a handover); it was counted then.
 */
export type SampleOutcome = 'accepted' | 'late' | 'future' | 'published';

/** The first window boundary at or before `t`. */
export function windowFloor(t: number): number {
  return t - (((t % ROLLUP_WINDOW_MS) + ROLLUP_WINDOW_MS) % ROLLUP_WINDOW_MS);
}

/**
 * Rolls samples up per series into one-second windows, as a function of the
 * samples stream alone, so that every hub that reads the same messages
 * computes the same rollups, to the bit. Time is the stream's: a sample
 * without `ts` belongs to the window of the moment the stream stored it, a
 * sample counts only if the stream stored it before its window's end plus
 * the grace, and a window closes once a message stored after that has been
 * read. No hub clock takes part.
 *
 * A sample with tags feeds its tagged series and the untagged series of the
 * same name.
 */
export class RollupAggregator {
  /** series -> window start -> accumulator; holds at most a couple of windows per series. */
  private readonly open = new Map<string, Map<number, WindowAccumulator>>();
  private closeAt = Infinity;

  constructor(
    /** Every window ending at or before this is closed and stored already. */
    private closed: number,
    private readonly emit: (series: string, rollup: Rollup) => void,
  ) {}

  /** `storedAt` is when the stream stored the sample's message, `seq` that message's seq. */
  add(series: string, value: number, ts: number, storedAt: number, seq: number): SampleOutcome {
    const start = windowFloor(ts);
    if (start + ROLLUP_WINDOW_MS + WINDOW_GRACE_MS <= storedAt) return 'late';
    if (ts > storedAt + MAX_FUTURE_MS) return 'future';
    if (start + ROLLUP_WINDOW_MS <= this.closed) return 'published';
    this.window(series, start, seq).add(value, ts);
    const base = baseSeries(series);
    if (base !== series) this.window(base, start, seq).add(value, ts);
    return 'accepted';
  }

  /**
   * Closes every window whose grace has passed at `watermark`, the storage
   * time of the newest message read, oldest first per series.
   */
  close(watermark: number): number {
    if (Number.isFinite(watermark)) this.closed = Math.max(this.closed, windowFloor(watermark - WINDOW_GRACE_MS));
    if (watermark < this.closeAt) return 0;
    let emitted = 0;
    this.closeAt = Infinity;
    for (const [series, windows] of this.open) {
      for (const [start, acc] of windows) {
        const at = start + ROLLUP_WINDOW_MS + WINDOW_GRACE_MS;
        if (at > watermark) {
          this.closeAt = Math.min(this.closeAt, at);
          continue;
        }
        windows.delete(start);
        this.emit(series, acc.toRollup());
        emitted++;
      }
      if (windows.size === 0) this.open.delete(series);
    }
    return emitted;
  }

  /** Treats every window ending at or before `boundary` as closed: none of them will be stored by this aggregator. */
  skipThrough(boundary: number): void {
    this.closed = Math.max(this.closed, boundary);
    for (const [series, windows] of this.open) {
      for (const start of windows.keys()) if (start + ROLLUP_WINDOW_MS <= boundary) windows.delete(start);
      if (windows.size === 0) this.open.delete(series);
    }
  }

  /** Every window ending at or before this is closed. */
  get closedThrough(): number {
    return this.closed;
  }

  /** The seq of the earliest message that fed a window still open. */
  firstOpenSeq(): number | undefined {
    let first: number | undefined;
    for (const windows of this.open.values()) for (const acc of windows.values()) if (first === undefined || acc.firstSeq < first) first = acc.firstSeq;
    return first;
  }

  private window(series: string, start: number, seq: number): WindowAccumulator {
    let windows = this.open.get(series);
    if (!windows) {
      windows = new Map();
      this.open.set(series, windows);
    }
    let acc = windows.get(start);
    if (!acc) {
      acc = new WindowAccumulator(start, seq);
      windows.set(start, acc);
      this.closeAt = Math.min(this.closeAt, start + ROLLUP_WINDOW_MS + WINDOW_GRACE_MS);
    }
    return acc;
  }
}
