import { type Rollup } from '../protocol/index.js';
import { Sketch } from '../protocol/index.js';

/** The samples of one series in one window, or the windows of the tier below it merged. */
export class WindowAccumulator {
  private count = 0;
  private sum = 0;
  private min = Infinity;
  private max = -Infinity;
  private last = 0;
  private lastTs = -Infinity;
  private readonly sketch = new Sketch();

  constructor(
    readonly start: number,
    /** The stream seq of the first message that fed this window: where a replay must begin to rebuild it. */
    private first: number,
    /** False for a window stored already, rebuilt only to feed the tier above it. */
    readonly stored: boolean,
  ) {}

  get firstSeq(): number {
    return this.first;
  }

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
    this.sketch.add(value);
  }

  /** Adds a window of the tier below: count, sum, min, max and last stay exact, and so does the sketch. */
  merge(below: WindowAccumulator): void {
    this.count += below.count;
    this.sum += below.sum;
    if (below.min < this.min) this.min = below.min;
    if (below.max > this.max) this.max = below.max;
    if (below.lastTs >= this.lastTs) {
      this.last = below.last;
      this.lastTs = below.lastTs;
    }
    this.sketch.merge(below.sketch);
    this.first = Math.min(this.first, below.first);
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
      sketch: this.sketch.toData(),
    };
  }

  // A bucket's value can fall just outside the observed range.
  private quantile(q: number): number {
    return Math.min(this.max, Math.max(this.min, this.sketch.quantile(q)));
  }
}
