import { ROLLUP_WINDOWS, WINDOW_MS, baseSeries, type Rollup, type RollupWindow } from '../protocol/index.js';
import { WindowAccumulator } from './window.js';

/**
 * How long a window stays open after its end for samples that arrive late
 * (network and batching delay). Later samples are counted and dropped.
 */
export const WINDOW_GRACE_MS = 250;

/** Samples further in the future than this are clock errors, not data. */
export const MAX_FUTURE_MS = 60_000;

const SECOND_MS = WINDOW_MS['1s'];

/**
 * `published`: every window the sample belongs to was closed and stored
 * before this aggregator took over (a replay after a handover); it was
 * counted then.
 */
export type SampleOutcome = 'accepted' | 'late' | 'future' | 'published';

/** Per window length, the time (ms, a boundary of that length) through which every window is stored. */
export type WindowMarks = Record<RollupWindow, number>;

/** The first one-second boundary at or before `t`. */
export function windowFloor(t: number): number {
  return floorTo(t, SECOND_MS);
}

function floorTo(t: number, ms: number): number {
  return t - (((t % ms) + ms) % ms);
}

function ceilTo(t: number, ms: number): number {
  const floor = floorTo(t, ms);
  return floor === t ? t : floor + ms;
}

/** Marks for windows no part of which may be stored: the ones that hold `t` are not, as they would be short. */
export function marksThrough(t: number): WindowMarks {
  return Object.fromEntries(ROLLUP_WINDOWS.map((w) => [w, ceilTo(t, WINDOW_MS[w])])) as WindowMarks;
}

/** One window length: the open windows per series, and how far its windows are stored. */
class Tier {
  /** series -> window start -> accumulator; a couple of windows per series, more only in a replay. */
  readonly open = new Map<string, Map<number, WindowAccumulator>>();

  constructor(
    readonly window: RollupWindow,
    readonly ms: number,
    public closed: number,
  ) {}

  start(t: number): number {
    return floorTo(t, this.ms);
  }

  /** Whether the window holding `t` is still to be stored. */
  isOpen(t: number): boolean {
    return this.start(t) + this.ms > this.closed;
  }

  at(series: string, start: number, seq: number): { acc: WindowAccumulator; created: boolean } {
    let windows = this.open.get(series);
    if (!windows) {
      windows = new Map();
      this.open.set(series, windows);
    }
    const acc = windows.get(start);
    if (acc) return { acc, created: false };
    const created = new WindowAccumulator(start, seq, start + this.ms > this.closed);
    windows.set(start, created);
    return { acc: created, created: true };
  }

  /** Removes the windows ending at or before `through`, oldest first per series, so merges above run in one order on every hub. */
  take(through: number): Array<[string, WindowAccumulator]> {
    const taken: Array<[string, WindowAccumulator]> = [];
    for (const [series, windows] of this.open) {
      const ending = [...windows.values()].filter((acc) => acc.start + this.ms <= through).sort((a, b) => a.start - b.start);
      for (const acc of ending) {
        windows.delete(acc.start);
        taken.push([series, acc]);
      }
      if (windows.size === 0) this.open.delete(series);
    }
    return taken;
  }

  /** Every window ending by `through` is closed, and stored if it had samples. */
  advance(through: number): void {
    if (Number.isFinite(through)) this.closed = Math.max(this.closed, floorTo(through, this.ms));
  }

  /** The earliest moment one of its open windows ends. */
  nextEnd(): number {
    let end = Infinity;
    for (const windows of this.open.values()) for (const start of windows.keys()) end = Math.min(end, start + this.ms);
    return end;
  }
}

/**
 * Rolls samples up per series into one-second windows, and those into
 * ten-second and one-minute windows, as a function of the samples stream
 * alone, so that every hub that reads the same messages computes the same
 * rollups, to the bit. Time is the stream's: a sample without `ts` belongs
 * to the window of the moment the stream stored it, a sample counts only if
 * the stream stored it before its second's end plus the grace, and a second
 * closes once a message stored after that has been read. A longer window
 * closes with its last second and is merged from the windows of the length
 * below it, never from the samples again. No hub clock takes part.
 *
 * A sample with tags feeds its tagged series and the untagged series of the
 * same name.
 */
export class RollupAggregator {
  private readonly tiers: Tier[];
  private closeAt = Infinity;

  constructor(
    /** Windows ending at or before these are closed and stored already. */
    closed: WindowMarks,
    private readonly emit: (window: RollupWindow, series: string, rollup: Rollup) => void,
  ) {
    this.tiers = ROLLUP_WINDOWS.map((w) => new Tier(w, WINDOW_MS[w], closed[w]));
  }

  /** `storedAt` is when the stream stored the sample's message, `seq` that message's seq. */
  add(series: string, value: number, ts: number, storedAt: number, seq: number): SampleOutcome {
    const start = windowFloor(ts);
    if (start + SECOND_MS + WINDOW_GRACE_MS <= storedAt) return 'late';
    if (ts > storedAt + MAX_FUTURE_MS) return 'future';
    if (!this.tiers.some((t) => t.isOpen(ts))) return 'published';
    this.second(series, start, seq).add(value, ts);
    const base = baseSeries(series);
    if (base !== series) this.second(base, start, seq).add(value, ts);
    return 'accepted';
  }

  /**
   * Closes every second whose grace has passed at `watermark`, the storage
   * time of the newest message read, and every longer window whose last
   * second that closed; returns how many windows it emitted.
   */
  close(watermark: number): number {
    if (!(watermark > -Infinity)) return 0;
    // Infinity closes everything (a test's flush) without claiming any time has passed.
    const through = watermark === Infinity ? Infinity : windowFloor(watermark - WINDOW_GRACE_MS);
    if (watermark < this.closeAt) {
      for (const tier of this.tiers) tier.advance(through);
      return 0;
    }
    let emitted = 0;
    // Shortest first: a longer window ending by `through` has had every window below it merged in when its turn comes.
    for (const [i, tier] of this.tiers.entries()) {
      const above = this.tiers[i + 1];
      for (const [series, acc] of tier.take(through)) {
        if (acc.stored) {
          this.emit(tier.window, series, acc.toRollup());
          emitted++;
        }
        if (above && this.tiers.slice(i + 1).some((t) => t.isOpen(acc.start))) {
          above.at(series, above.start(acc.start), acc.firstSeq).acc.merge(acc);
        }
      }
      tier.advance(through);
    }
    this.closeAt = Math.min(...this.tiers.map((t) => t.nextEnd())) + WINDOW_GRACE_MS;
    return emitted;
  }

  /** Treats every window that holds a moment before `boundary` as closed: none of them will be stored by this aggregator. */
  skipThrough(boundary: number): void {
    const marks = marksThrough(boundary);
    for (const tier of this.tiers) {
      tier.closed = Math.max(tier.closed, marks[tier.window]);
      tier.take(tier.closed);
    }
  }

  /** Per window length, every window ending at or before this is closed. */
  get closedThrough(): WindowMarks {
    return Object.fromEntries(this.tiers.map((t) => [t.window, t.closed])) as WindowMarks;
  }

  /** The seq of the earliest message that fed a window still open, of any length. */
  firstOpenSeq(): number | undefined {
    let first: number | undefined;
    for (const tier of this.tiers) {
      for (const windows of tier.open.values()) for (const acc of windows.values()) if (first === undefined || acc.firstSeq < first) first = acc.firstSeq;
    }
    return first;
  }

  private second(series: string, start: number, seq: number): WindowAccumulator {
    const { acc, created } = this.tiers[0]!.at(series, start, seq);
    if (created) this.closeAt = Math.min(this.closeAt, start + SECOND_MS + WINDOW_GRACE_MS);
    return acc;
  }
}
