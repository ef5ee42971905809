import { fail, ok, type Result } from './errors.js';
import type { Rollup } from './rollup.js';
import { seriesKey } from './series.js';

/** What a rule watches in each one-second rollup of its series: a rollup field, or `mean` (sum / count). */
export const ALERT_STATS = ['mean', 'count', 'sum', 'min', 'max', 'last', 'p50', 'p90', 'p99'] as const;
export type AlertStat = (typeof ALERT_STATS)[number];
export const ALERT_OPS = ['>', '<', '>=', '<='] as const;
export type AlertOp = (typeof ALERT_OPS)[number];
/** The longest a condition may be asked to hold: an hour. */
export const ALERT_MAX_FOR_S = 3_600;
/** Rules one person may keep. */
export const ALERT_RULES_PER_USER = 50;

/** `POST /api/alerts`: notify me when `stat` of `series` is `op` `threshold` for `for` seconds in a row. */
export interface AlertRuleInput {
  series: string;
  stat: AlertStat;
  op: AlertOp;
  threshold: number;
  for: number;
}

export interface AlertRule extends AlertRuleInput {
  id: string;
  owner: string;
  createdAt: number;
}

export function readAlertRuleInput(raw: unknown): Result<AlertRuleInput> {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return fail('bad_request', 'a rule is {"series","stat","op","threshold","for"}');
  const { series, stat, op, threshold, for: holdFor } = raw as Record<string, unknown>;
  if (typeof series !== 'string') return fail('bad_request', 'series must be a series name, like cpu.usage or cpu.usage,host=web1');
  const [name, ...tags] = series.split(',');
  const key = seriesKey(name ?? '', Object.fromEntries(tags.map((t) => t.split('=') as [string, string])));
  if (!key.ok || key.value !== series) return fail('bad_request', `series "${series.slice(0, 60)}" is not a series name (tags sorted by key)`);
  if (!(ALERT_STATS as readonly unknown[]).includes(stat)) return fail('bad_request', `stat must be one of ${ALERT_STATS.join(', ')}`);
  if (!(ALERT_OPS as readonly unknown[]).includes(op)) return fail('bad_request', `op must be one of ${ALERT_OPS.join(' ')}`);
  if (typeof threshold !== 'number' || !Number.isFinite(threshold)) return fail('bad_request', 'threshold must be a number');
  if (!Number.isInteger(holdFor) || (holdFor as number) < 1 || (holdFor as number) > ALERT_MAX_FOR_S) return fail('bad_request', `for must be whole seconds from 1 to ${ALERT_MAX_FOR_S}`);
  return ok({ series, stat: stat as AlertStat, op: op as AlertOp, threshold, for: holdFor as number });
}

export function statOf(r: Rollup, stat: AlertStat): number {
  return stat === 'mean' ? r.sum / r.count : r[stat];
}

export function conditionHolds(rule: AlertRuleInput, r: Rollup): boolean {
  const v = statOf(r, rule.stat);
  switch (rule.op) {
    case '>':
      return v > rule.threshold;
    case '<':
      return v < rule.threshold;
    case '>=':
      return v >= rule.threshold;
    case '<=':
      return v <= rule.threshold;
  }
}

/** How a rule reads in a notification: `p99 of http.latency_ms > 250 for 10 s`. */
export function describeRule(rule: AlertRuleInput): string {
  return `${rule.stat} of ${rule.series} ${rule.op} ${rule.threshold} for ${rule.for} s`;
}
