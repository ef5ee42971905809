import { ROLLUP_WINDOW_MS, conditionHolds, describeRule, statOf, type AlertRule, type NotificationInput, type Rollup } from '../protocol/index.js';
import type { AlertRules } from './alert-rules.js';

/**
 * Evaluates alert rules on the one-second rollups of the series this
 * process rolls up (each series has one such process at a time), in stream
 * order. A rule fires once its condition held in every second for its `for`,
 * and resolves at the first second it does not; each change of state is one
 * compare-and-set in the rules bucket and one notification to the rule's
 * owner, keyed so that a retry or a handover sends it once.
 */
export class AlertEvaluator {
  /** Per rule, the second the condition started holding, and the last second seen. */
  private readonly holding = new Map<string, { since: number; last: number }>();

  constructor(
    private readonly rules: AlertRules,
    private readonly owns: (series: string) => boolean,
    private readonly notify: (owner: string, n: NotificationInput) => Promise<unknown>,
    private readonly failed: (err: unknown) => void,
  ) {}

  /** Whether a rollup of `series` needs reading at all: only a series with rules, rolled up here. */
  wants(series: string): boolean {
    return this.rules.forSeries(series).length > 0 && this.owns(series);
  }

  take(series: string, r: Rollup): void {
    for (const rule of this.rules.forSeries(series)) {
      const held = this.holding.get(rule.id);
      if (!conditionHolds(rule, r)) {
        this.holding.delete(rule.id);
        if (this.rules.isFiring(rule.id)) void this.change(rule, false, r).catch(this.failed);
        continue;
      }
      // A second without a rollup breaks the run: the condition must hold in each second.
      const since = held && r.t - held.last <= ROLLUP_WINDOW_MS ? held.since : r.t;
      this.holding.set(rule.id, { since, last: r.t });
      if (r.t + ROLLUP_WINDOW_MS - since >= rule.for * 1000 && !this.rules.isFiring(rule.id)) void this.change(rule, true, r, since).catch(this.failed);
    }
  }

  private async change(rule: AlertRule, firing: boolean, r: Rollup, since = r.t): Promise<void> {
    if (!(await this.rules.transition(rule.id, firing))) return;
    const value = statOf(r, rule.stat);
    await this.notify(rule.owner, {
      title: firing ? `Alert: ${describeRule(rule)}` : `Resolved: ${describeRule(rule)}`,
      body: `${rule.stat} of ${rule.series} is ${Number(value.toPrecision(6))} at ${new Date(r.t).toISOString()}`,
      kind: 'alert',
      data: { url: `/?panel=${encodeURIComponent(`15m~${rule.series}`)}`, rule: rule.id, firing },
      key: `${rule.id}:${firing ? 'fire' : 'resolve'}:${since}`,
    });
  }
}
