/** The `data` of a `metrics:` message: one per series per one-second window that had samples. */
export interface Rollup {
  /** Window start, milliseconds since the epoch. */
  t: number;
  count: number;
  sum: number;
  min: number;
  max: number;
  last: number;
  p50: number;
  p90: number;
  p99: number;
}

export const ROLLUP_WINDOW_MS = 1000;
