import type { ChannelKind } from './channel.js';

/**
 * Relative accuracy of the quantiles: the reported value is within 1% of the
 * true quantile's value, whatever the distribution (DDSketch).
 */
export const QUANTILE_RELATIVE_ACCURACY = 0.01;

/**
 * A window's DDSketch with a logarithmic mapping at QUANTILE_RELATIVE_ACCURACY:
 * bin `k` counts the values whose magnitude is in (γ^(k-1), γ^k], with
 * γ = 1.01/0.99. `pos` and `neg` list the bins of positive values and of the
 * magnitudes of negative ones as `[firstKey, count, keyStep, count, …]`, keys
 * ascending; `zero` counts the zeros. Sketches of one series merge by adding
 * counts per key, exactly.
 */
export interface SketchData {
  zero: number;
  pos: number[];
  neg: number[];
}

/** The `data` of a `metrics:` message (and of `metrics10s:` and `metrics1m:`): one per series per window that had samples. */
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
  /** The window's quantile sketch, from which longer windows merge theirs (extension; absent from rollups stored before it). */
  sketch?: SketchData;
}

/** The rollup windows, shortest first: each longer one is merged from the one before it. */
export const ROLLUP_WINDOWS = ['1s', '10s', '1m'] as const;
export type RollupWindow = (typeof ROLLUP_WINDOWS)[number];

export const WINDOW_MS: Readonly<Record<RollupWindow, number>> = { '1s': 1_000, '10s': 10_000, '1m': 60_000 };

/** The channel kind that carries each window's rollups; `metrics:` is version 1's one-second channel. */
export const WINDOW_KINDS = { '1s': 'metrics', '10s': 'metrics10s', '1m': 'metrics1m' } as const satisfies Record<RollupWindow, ChannelKind>;
export type RollupKind = (typeof WINDOW_KINDS)[RollupWindow];

export const ROLLUP_WINDOW_MS = WINDOW_MS['1s'];

export function isRollupWindow(w: unknown): w is RollupWindow {
  return (ROLLUP_WINDOWS as readonly unknown[]).includes(w);
}

/** The window of a rollup channel kind, or undefined for other kinds. */
export function windowOfKind(kind: string): RollupWindow | undefined {
  return ROLLUP_WINDOWS.find((w) => WINDOW_KINDS[w] === kind);
}
