import {
  HISTORY_MAX_LIMIT,
  HISTORY_RANGE_MAX_READ,
  WINDOW_KINDS,
  WINDOW_MS,
  fail,
  isRollupWindow,
  mergeRollups,
  ok,
  parseChannel,
  windowOfKind,
  type ChannelName,
  type Result,
  type Rollup,
  type RollupRangePoints,
  type RollupWindow,
} from '../protocol/index.js';
import type { RollupChannels } from '../rollups/rollup-channels.js';
import { optionalInt } from './query.js';

/** The longest merge step: a day. */
const MAX_STEP_MS = 24 * 60 * 60_000;

/** What `window=`, `from=`, `to=` and `step=` ask of a rollup channel's history. */
export interface RangeQuery {
  /** The channel of the window asked for: `ch=metrics:cpu&window=10s` reads `metrics10s:cpu`. */
  ch: ChannelName;
  range?: { window: RollupWindow; from: number; to: number; step?: number; limit: number };
}

type Query = (name: string) => string | undefined;

/** Reads the range parameters of `/api/history`; `now` closes a range without `to`. */
export function readRangeQuery(query: Query, asked: ChannelName, now: number): Result<RangeQuery> {
  const windowText = query('window');
  const kindWindow = windowOfKind(asked.kind);
  const ranged = ['from', 'to', 'step'].some((p) => query(p) !== undefined);
  if ((windowText !== undefined || ranged) && !kindWindow) return fail('bad_request', 'window, from, to and step apply to metrics channels only');
  if (windowText !== undefined && !isRollupWindow(windowText)) return fail('bad_request', 'window must be 1s, 10s or 1m');
  if (windowText !== undefined && asked.kind !== 'metrics' && windowText !== kindWindow) return fail('bad_request', `${asked.kind}: channels hold ${kindWindow} windows, not ${windowText}`);
  const window = (windowText as RollupWindow | undefined) ?? kindWindow;
  const ch = window && window !== kindWindow ? parseChannel(`${WINDOW_KINDS[window]}:${asked.name}`) : ok(asked);
  if (!ch.ok) return ch;
  if (!ranged || !window) return ok({ ch: ch.value });
  if (query('since') !== undefined) return fail('bad_request', 'since and from/to cannot be asked together');
  const ms = WINDOW_MS[window];
  const from = optionalInt(query('from'), 'from', 0, Number.MAX_SAFE_INTEGER);
  if (!from.ok) return from;
  if (from.value === undefined) return fail('bad_request', 'a range needs from (ms since the epoch)');
  const to = optionalInt(query('to'), 'to', from.value + 1, Number.MAX_SAFE_INTEGER);
  if (!to.ok) return to;
  const step = optionalInt(query('step'), 'step', ms, MAX_STEP_MS);
  if (!step.ok) return step;
  if (step.value !== undefined && step.value % ms !== 0) return fail('bad_request', `step must be a multiple of the window, ${ms} ms`);
  const limit = optionalInt(query('limit'), 'limit', 1, HISTORY_MAX_LIMIT);
  if (!limit.ok) return limit;
  return ok({
    ch: ch.value,
    range: { window, from: from.value, to: to.value ?? now + ms, limit: limit.value ?? HISTORY_MAX_LIMIT, ...(step.value !== undefined && { step: step.value }) },
  });
}

/** The answer to a range read, as JSON text: stored frames are joined as they are, never parsed and encoded again. */
export async function answerRange(source: RollupChannels, ch: ChannelName, range: NonNullable<RangeQuery['range']>): Promise<string> {
  const { window, from, to, step, limit } = range;
  const head = { ch: ch.ch, window, from, to };
  if (step === undefined) {
    const read = await source.range(ch, from, to, limit);
    const seq = read.messages.at(-1)?.seq ?? 0;
    const start = JSON.stringify({ ...head, seq, ...(read.more && { more: true }) });
    return `${start.slice(0, -1)},"messages":[${read.messages.map((m) => m.frame.toString()).join(',')}]}`;
  }
  const read = await source.range(ch, from, to, HISTORY_RANGE_MAX_READ);
  const points = mergeSteps(read.rollups, read.messages.map((m) => m.seq), step, limit);
  const answer: RollupRangePoints = { ...head, seq: points.seq, step, rollups: points.rollups, ...((read.more || points.more) && { more: true as const }) };
  return JSON.stringify(answer);
}

/** Merges rollups (oldest first) into step-aligned points, at most `limit`; `seq` is the newest message a point holds. */
function mergeSteps(rollups: Rollup[], seqs: number[], step: number, limit: number): { rollups: Rollup[]; seq: number; more: boolean } {
  const out: Rollup[] = [];
  let seq = 0;
  let i = 0;
  while (i < rollups.length) {
    const t = rollups[i]!.t - (rollups[i]!.t % step);
    if (out.length === limit) return { rollups: out, seq, more: true };
    const parts: Rollup[] = [];
    for (; i < rollups.length && rollups[i]!.t < t + step; i++) {
      parts.push(rollups[i]!);
      seq = Math.max(seq, seqs[i]!);
    }
    out.push(mergeRollups(t, parts));
  }
  return { rollups: out, seq, more: false };
}
