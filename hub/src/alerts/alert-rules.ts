import { randomBytes } from 'node:crypto';
import { StorageType, type JetStreamClient, type KV, type QueuedIterator, type KvEntry } from 'nats';
import { ALERT_RULES_PER_USER, fail, ok, readAlertRuleInput, type AlertRule, type AlertRuleInput, type Result } from '../protocol/index.js';
import { openBucket } from '../bus/kv-bucket.js';

export const ALERTS_BUCKET = 'PULSE_ALERTS';
const VERSION = 1;

interface Entry {
  rule: AlertRule;
  firing: boolean;
}

/**
 * Every alert rule of the deployment, in a KV bucket (they survive restarts),
 * with whether each is firing. Every hub watches the bucket and keeps the
 * rules in memory by series; a rule's firing state changes only with
 * compare-and-set, so of two hubs that see the same condition, one sends the
 * notification.
 */
export class AlertRules {
  private readonly entries = new Map<string, Entry>();
  private readonly bySeries = new Map<string, Set<string>>();
  private watcher: QueuedIterator<KvEntry> | undefined;

  private constructor(private readonly kv: KV) {}

  static async start(js: JetStreamClient, replicas: number): Promise<AlertRules> {
    const rules = new AlertRules(await openBucket(js, ALERTS_BUCKET, { history: 1, storage: StorageType.File, replicas }));
    await rules.watch();
    return rules;
  }

  stop(): void {
    this.watcher?.stop();
  }

  forSeries(series: string): AlertRule[] {
    return [...(this.bySeries.get(series) ?? [])].map((id) => this.entries.get(id)!.rule);
  }

  isFiring(id: string): boolean {
    return this.entries.get(id)?.firing ?? false;
  }

  list(owner: string): AlertRule[] {
    return [...this.entries.values()].filter((e) => e.rule.owner === owner).map((e) => e.rule).sort((a, b) => a.createdAt - b.createdAt);
  }

  async create(owner: string, input: AlertRuleInput, now: number): Promise<Result<AlertRule>> {
    if (this.list(owner).length >= ALERT_RULES_PER_USER) return fail('rate_limited', `at most ${ALERT_RULES_PER_USER} rules per person: delete one first`);
    const rule: AlertRule = { id: `a${randomBytes(9).toString('base64url')}`, owner, createdAt: now, ...input };
    await this.kv.create(rule.id, encode({ rule, firing: false }));
    this.set({ rule, firing: false });
    return ok(rule);
  }

  async delete(id: string, by: { id: string; admin: boolean }): Promise<Result<true>> {
    const entry = this.entries.get(id);
    if (!entry || (entry.rule.owner !== by.id && !by.admin)) return fail('not_found', `no rule ${id.slice(0, 40)} of yours`);
    await this.kv.delete(id);
    this.remove(id);
    return ok(true);
  }

  /** Sets whether a rule fires; false when it already was so (another hub got there first) or the rule is gone. */
  async transition(id: string, firing: boolean): Promise<boolean> {
    const current = await this.kv.get(id);
    if (!current || current.operation !== 'PUT') return false;
    const entry = decode(current.value);
    if (!entry || entry.firing === firing) return false;
    try {
      await this.kv.update(id, encode({ rule: entry.rule, firing }), current.revision);
      this.set({ rule: entry.rule, firing });
      return true;
    } catch {
      return false;
    }
  }

  private async watch(): Promise<void> {
    let ready!: () => void;
    const initialized = new Promise<void>((r) => (ready = r));
    this.watcher = await this.kv.watch({ key: '>', initializedFn: () => ready() });
    void (async () => {
      for await (const e of this.watcher!) {
        const entry = e.operation === 'PUT' ? decode(e.value) : undefined;
        if (entry) this.set(entry);
        else this.remove(e.key);
      }
    })();
    await initialized;
  }

  private set(entry: Entry): void {
    this.entries.set(entry.rule.id, entry);
    let ids = this.bySeries.get(entry.rule.series);
    if (!ids) this.bySeries.set(entry.rule.series, (ids = new Set()));
    ids.add(entry.rule.id);
  }

  private remove(id: string): void {
    const entry = this.entries.get(id);
    if (!entry) return;
    this.entries.delete(id);
    const ids = this.bySeries.get(entry.rule.series);
    ids?.delete(id);
    if (ids?.size === 0) this.bySeries.delete(entry.rule.series);
  }
}

function encode(e: Entry): string {
  return JSON.stringify({ v: VERSION, rule: e.rule, firing: e.firing });
}

/** An entry that does not read as a rule is ignored rather than trusted. */
function decode(bytes: Uint8Array): Entry | undefined {
  try {
    const { v, rule, firing } = JSON.parse(new TextDecoder().decode(bytes)) as { v?: unknown; rule?: AlertRule; firing?: unknown };
    if (v !== VERSION || typeof rule !== 'object' || rule === null || typeof firing !== 'boolean') return undefined;
    if (typeof rule.id !== 'string' || typeof rule.owner !== 'string' || !readAlertRuleInput(rule).ok) return undefined;
    return { rule, firing };
  } catch {
    return undefined;
  }
}
