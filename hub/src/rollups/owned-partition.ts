import type { Rollup, RollupWindow } from '../protocol/index.js';
import { RollupAggregator, type SampleOutcome } from './aggregator.js';
import type { Checkpoint } from './partition-record.js';

/**
 * A partition this process rolls up: its open windows, and a checkpoint that
 * only moves past a window once JetStream has stored that window's rollups,
 * so a process that dies between closing and storing leaves a checkpoint from
 * which the next owner stores them.
 */
export class OwnedPartition {
  /** Messages before this seq were read already, here or by the previous owner. */
  nextSeq: number;
  /**
   * Taken, but the reader has not yet been sent back to where this partition
   * starts: it has read nothing, so its checkpoint is still the one it came with.
   */
  pending = true;
  private readonly aggregator: RollupAggregator;
  private closing: Array<[RollupWindow, string, Rollup]> = [];
  /** Closed windows on their way to the stream, oldest first, each with the checkpoint that holds once they are stored. */
  private readonly unstored: Array<{ checkpoint: Checkpoint; left: number }> = [];
  private stored: Checkpoint;
  private whenStored: Array<() => void> = [];

  constructor(
    from: Checkpoint,
    private readonly store: (window: RollupWindow, series: string, rollup: Rollup) => Promise<unknown>,
  ) {
    this.nextSeq = from.replayFrom;
    this.stored = from;
    this.aggregator = new RollupAggregator(from.closedThrough, (window, series, rollup) => this.closing.push([window, series, rollup]));
  }

  add(series: string, value: number, ts: number, storedAt: number, seq: number): SampleOutcome {
    return this.aggregator.add(series, value, ts, storedAt, seq);
  }

  /** Closes what `watermark` closes and stores it; `position` is the last seq the reader delivered. */
  close(watermark: number, position: number): void {
    if (this.aggregator.close(watermark) === 0) return;
    const batch = { checkpoint: this.current(position), left: this.closing.length };
    const rollups = this.closing;
    this.closing = [];
    this.unstored.push(batch);
    for (const [window, series, rollup] of rollups) {
      void this.store(window, series, rollup).finally(() => {
        batch.left--;
        this.settle();
      });
    }
  }

  /**
   * The messages before the ones now read are gone from the stream (its
   * retention passed while nobody read them): windows they may have fed are
   * not stored rather than stored short.
   */
  skipUntil(boundary: number): void {
    this.aggregator.skipThrough(boundary);
  }

  /** Where the next owner would start if this one stopped now. */
  checkpoint(position: number): Checkpoint {
    return this.pending || this.unstored.length > 0 ? this.stored : this.current(position);
  }

  /** Resolves once every closed window is stored (or given up on). */
  settled(): Promise<void> {
    if (this.unstored.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.whenStored.push(resolve));
  }

  private current(position: number): Checkpoint {
    return { closedThrough: this.aggregator.closedThrough, replayFrom: this.aggregator.firstOpenSeq() ?? Math.max(this.nextSeq, position + 1) };
  }

  private settle(): void {
    while (this.unstored.length > 0 && this.unstored[0]!.left === 0) this.stored = this.unstored.shift()!.checkpoint;
    if (this.unstored.length > 0) return;
    for (const resolve of this.whenStored.splice(0)) resolve();
  }
}
