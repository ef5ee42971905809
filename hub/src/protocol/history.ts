import type { MessageFrame } from './frames.js';
import { ROLLUP_WINDOWS, WINDOW_MS, type Rollup, type RollupWindow } from './rollup.js';

/** `GET /api/history` answers at most this many messages or points. */
export const HISTORY_MAX_LIMIT = 2000;
/** A time-range read of a rollup channel reads at most this many stored rollups (a week of minutes fits). */
export const HISTORY_RANGE_MAX_READ = 20_000;
/** Points a chart needs at most: about one per pixel of a wide panel. */
export const PANEL_MAX_POINTS = 1500;
/** Steps a long range is merged into when its window's rollups would be too many points. */
const STEPS_MS = [5, 10, 15, 30, 60, 120, 360, 720, 1440].map((m) => m * 60_000);

/**
 * `GET /api/history?ch=&from=&to=` on a rollup channel (extension): the
 * stored rollups of the windows starting in [from, to), oldest first. `seq`
 * is the newest message read, where a live subscription goes on from.
 */
export interface RollupRange {
  ch: string;
  window: RollupWindow;
  from: number;
  to: number;
  seq: number;
  /** Present when the range held more than the limit: the rest come after the last one answered. */
  more?: true;
}

/** Without `step`: the stored messages themselves. */
export interface RollupRangeMessages extends RollupRange {
  messages: Array<MessageFrame<Rollup>>;
}

/** With `step`: the windows merged per step, each point `t` a multiple of the step (sketches merged, so quantiles stay within the accuracy). */
export interface RollupRangePoints extends RollupRange {
  step: number;
  rollups: Rollup[];
}

/** How far back each window length's history reaches at least, whatever the deployment sets. */
export const WINDOW_RETENTION_MS: Readonly<Record<RollupWindow, number>> = { '1s': 15 * 60_000, '10s': 6 * 3_600_000, '1m': 7 * 86_400_000 };

/**
 * The window length (and, past a day of minutes, the merge step) that draws
 * `spanMs` in at most PANEL_MAX_POINTS points from history reaching
 * `ageMs` back (the span itself for a live panel): the finest that fits.
 */
export function resolutionFor(spanMs: number, ageMs = spanMs): { window: RollupWindow; step?: number } {
  for (const window of ROLLUP_WINDOWS) {
    if (spanMs / WINDOW_MS[window] <= PANEL_MAX_POINTS && ageMs <= WINDOW_RETENTION_MS[window]) return { window };
  }
  const step = STEPS_MS.find((s) => spanMs / s <= PANEL_MAX_POINTS) ?? STEPS_MS.at(-1)!;
  return { window: '1m', step };
}
