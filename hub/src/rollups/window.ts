import { DDSketch } from '@datadog/sketches-js';
import type { Rollup } from '../protocol/index.js';

/**
 * Relative accuracy of p50/p90/p99: DDSketch guarantees the reported value is
 * within 1% of the true quantile's value, whatever the distribution, in memory
 * bounded by the value range rather than the sample count.
 */
export const QUANTILE_RELATIVE_ACCURACY = 0.01;

/** The samples of one series in one window. */
export class WindowAccumulator {
  private count = 0;
  private sum = 0;
  private min = Infinity;
  private max = -Infinity;
  private last = 0;
  private lastTs = -Infinity;
  private readonly sketch = new DDSketch({ relativeAccuracy: QUANTILE_RELATIVE_ACCURACY });

  constructor(
    readonly start: number,
    /** The stream seq of the first message that fed this window: where a replay must begin to rebuild it. */
    readonly firstSeq: number,
  ) {}

  add(value: number, ts: number): void {
    this.count++;
    this.sum += value;
    if (value < this.min) this.min = value;
    if (value > this.max) this.max = value;
    // Samples may arrive out of order within a window; `last` is the latest by time.
    if (ts >= this.lastTs) {
      this.last = value;
      this.lastTs = ts;
    }
    this.sketch.accept(value);
  }

  toRollup(): Rollup {
    return {
      t: this.start,
      count: this.count,
      sum: this.sum,
      min: this.min,
      max: this.max,
      last: this.last,
      p50: this.quantile(0.5),
      p90: this.quantile(0.9),
      p99: this.quantile(0.99),
    };
  }

  // The sketch's bucket midpoints can fall just outside the observed range.
  private quantile(q: number): number {
    return Math.min(this.max, Math.max(this.min, this.sketch.getValueAtQuantile(q)));
  }
}
