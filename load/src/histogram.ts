/**
 * A latency histogram with logarithmic buckets (1% wide) from 1 µs to about
 * 20 minutes: constant memory whatever the count, mergeable across worker
 * processes by adding bucket counts, quantiles within 1%.
 */
const GROWTH = 1.01;
const MIN_MS = 0.001;
const BUCKETS = Math.ceil(Math.log(1_200_000 / MIN_MS) / Math.log(GROWTH)) + 1;
const LOG_GROWTH = Math.log(GROWTH);

export class Histogram {
  readonly counts: number[];
  total = 0;
  max = 0;

  constructor(counts?: number[]) {
    this.counts = counts ?? new Array<number>(BUCKETS).fill(0);
    for (const c of this.counts) this.total += c;
  }

  record(ms: number): void {
    const i = ms <= MIN_MS ? 0 : Math.min(BUCKETS - 1, Math.ceil(Math.log(ms / MIN_MS) / LOG_GROWTH));
    this.counts[i]!++;
    this.total++;
    if (ms > this.max) this.max = ms;
  }

  reset(): void {
    this.counts.fill(0);
    this.total = 0;
    this.max = 0;
  }

  merge(other: { counts: number[]; max: number }): void {
    for (let i = 0; i < BUCKETS; i++) {
      const c = other.counts[i] ?? 0;
      this.counts[i]! += c;
      this.total += c;
    }
    this.max = Math.max(this.max, other.max);
  }

  /** The value at quantile q (0..1), as the upper edge of its bucket; 0 when empty. */
  quantile(q: number): number {
    if (this.total === 0) return 0;
    const rank = Math.max(1, Math.ceil(q * this.total));
    let seen = 0;
    for (let i = 0; i < BUCKETS; i++) {
      seen += this.counts[i]!;
      if (seen >= rank) return Math.min(this.max, MIN_MS * GROWTH ** i);
    }
    return this.max;
  }

  /** Only the non-empty buckets, for sending between processes. */
  toSparse(): { buckets: Array<[number, number]>; max: number } {
    const buckets: Array<[number, number]> = [];
    this.counts.forEach((c, i) => c > 0 && buckets.push([i, c]));
    return { buckets, max: this.max };
  }

  static fromSparse(s: { buckets: Array<[number, number]>; max: number }): Histogram {
    const h = new Histogram();
    for (const [i, c] of s.buckets) {
      h.counts[i] = c;
      h.total += c;
    }
    h.max = s.max;
    return h;
  }
}
