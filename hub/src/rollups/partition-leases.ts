import { StorageType, type JetStreamClient, type KV, type KvEntry, type QueuedIterator } from 'nats';
import { ROLLUP_PARTITIONS } from './partitions.js';
import { decodeRecord, encodeRecord, type Checkpoint, type PartitionRecord } from './partition-record.js';
import { openBucket } from '../bus/kv-bucket.js';

export const LEASES_BUCKET = 'PULSE_ROLLUP_PARTITIONS';

export interface LeaseTiming {
  /** How often a member renews its own key and every partition it holds. */
  heartbeatMs: number;
  /** A member or partition entry unchanged for this long (by the watcher's own clock) has lost its holder. */
  leaseMs: number;
}

export const LEASE_TIMING: LeaseTiming = { heartbeatMs: 1_000, leaseMs: 5_000 };

/** What the leases ask of the process that rolls partitions up. */
export interface LeaseHolder {
  /** The checkpoint to write with this renewal of `partition`. */
  checkpointOf(partition: number): Checkpoint;
  /** This process now rolls `partition` up, from `checkpoint`. */
  acquired(partition: number, checkpoint: Checkpoint): void;
  /** Another process took `partition` (this one stalled past its lease): drop it without storing anything more. */
  lost(partition: number): void;
  /** Stop rolling `partition` up and wait for what is closed to be stored; gives the checkpoint to hand over. */
  handOver(partition: number): Promise<Checkpoint>;
}

interface Seen {
  revision: number;
  value: Uint8Array;
  /** When this process saw this revision: leases are judged by local durations only, never by comparing clocks. */
  at: number;
}

/** A partition nobody held before: its rollups start from the stream's first message. */
export const FRESH_CHECKPOINT: Checkpoint = { closedThrough: { '1s': 0, '10s': 0, '1m': 0 }, replayFrom: 1 };
/** Member keys of processes gone this long are removed, so restarts leave nothing behind. */
const FORGET_MEMBER_LEASES = 10;

const memberKey = (id: string) => `member.${id}`;
const partitionKey = (p: number) => `partition.${p}`;

/**
 * Which hub process rolls up which partition, agreed through a NATS KV
 * bucket and nothing else. Every member renews its own key and each of its
 * partitions every heartbeat, with compare-and-set on the revision it wrote
 * last; a failed renewal means another process took the partition. Each
 * member aims at an even share of the partitions among the live members:
 * it takes free ones and ones whose entry stopped changing (a dead holder),
 * and hands its extras over when members join. Handing over writes the
 * partition's checkpoint with no owner, so the next owner continues exactly
 * where this one stopped.
 */
export class PartitionLeases {
  private readonly seen = new Map<string, Seen>();
  /** Partitions this process holds, with the revision it last wrote. */
  private readonly held = new Map<number, number>();
  private watcher: QueuedIterator<KvEntry> | undefined;
  private timer: NodeJS.Timeout | undefined;
  private beating: Promise<void> | undefined;
  private stopped = false;

  private constructor(
    private readonly kv: KV,
    private readonly id: string,
    private readonly holder: LeaseHolder,
    private readonly timing: LeaseTiming,
    private readonly onError: (err: unknown) => void,
  ) {}

  static async start(
    js: JetStreamClient,
    id: string,
    holder: LeaseHolder,
    onError: (err: unknown) => void,
    { replicas, timing = LEASE_TIMING }: { replicas: number; timing?: LeaseTiming },
  ): Promise<PartitionLeases> {
    const kv = await openBucket(js, LEASES_BUCKET, { history: 1, storage: StorageType.File, replicas });
    const leases = new PartitionLeases(kv, id, holder, timing, onError);
    await leases.watch();
    await leases.beat();
    leases.timer = setInterval(() => void leases.beat(), timing.heartbeatMs);
    return leases;
  }

  /** The partitions this process holds now. */
  get partitions(): number[] {
    return [...this.held.keys()];
  }

  /** Hands every partition over and leaves, so the others take them at once rather than after a lease. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    await this.beating;
    await Promise.all([...this.held.keys()].map((p) => this.handOver(p)));
    await this.kv.delete(memberKey(this.id)).catch(this.onError);
    this.watcher?.stop();
  }

  private async watch(): Promise<void> {
    let ready!: () => void;
    const initialized = new Promise<void>((r) => (ready = r));
    this.watcher = await this.kv.watch({ key: '>', initializedFn: () => ready() });
    void (async () => {
      for await (const e of this.watcher!) {
        if (e.operation === 'PUT') this.seen.set(e.key, { revision: e.revision, value: e.value, at: performance.now() });
        else this.seen.delete(e.key);
      }
    })();
    await initialized;
  }

  private beat(): Promise<void> {
    if (this.beating || this.stopped) return this.beating ?? Promise.resolve();
    this.beating = this.round()
      .catch(this.onError)
      .finally(() => (this.beating = undefined));
    return this.beating;
  }

  private async round(): Promise<void> {
    await this.kv.put(memberKey(this.id), String(Date.now()));
    await this.renew();
    await this.forgetGoneMembers();
    const share = this.share();
    if (this.held.size > share) {
      const extras = [...this.held.keys()].sort((a, b) => b - a).slice(0, this.held.size - share);
      await Promise.all(extras.map((p) => this.handOver(p)));
    }
    for (let p = 0; p < ROLLUP_PARTITIONS && this.held.size < share && !this.stopped; p++) {
      if (!this.held.has(p)) await this.tryTake(p);
    }
  }

  private async renew(): Promise<void> {
    await Promise.all(
      [...this.held].map(async ([p, revision]) => {
        const record: PartitionRecord = { owner: this.id, ...this.holder.checkpointOf(p) };
        try {
          this.held.set(p, await this.kv.update(partitionKey(p), encodeRecord(record), revision));
        } catch {
          // Someone wrote the entry since: it took the partition while this process was stalled.
          if (!this.held.delete(p)) return;
          this.holder.lost(p);
        }
      }),
    );
  }

  /** This member's even share: live members sorted by id, the first ones taking one more when it does not divide. */
  private share(): number {
    const now = performance.now();
    const live = new Set([this.id]);
    for (const [key, s] of this.seen) if (key.startsWith('member.') && now - s.at < this.timing.leaseMs) live.add(key.slice('member.'.length));
    const members = [...live].sort();
    const base = Math.floor(ROLLUP_PARTITIONS / members.length);
    return base + (members.indexOf(this.id) < ROLLUP_PARTITIONS % members.length ? 1 : 0);
  }

  private async forgetGoneMembers(): Promise<void> {
    const now = performance.now();
    for (const [key, s] of this.seen) {
      if (!key.startsWith('member.') || now - s.at < FORGET_MEMBER_LEASES * this.timing.leaseMs) continue;
      // Naming the revision seen: of several members forgetting it at once, one delete lands.
      await this.kv.delete(key, { previousSeq: s.revision }).catch(() => undefined);
    }
  }

  private async tryTake(p: number): Promise<void> {
    const entry = this.seen.get(partitionKey(p));
    try {
      if (!entry) {
        const revision = await this.kv.create(partitionKey(p), encodeRecord({ owner: this.id, ...FRESH_CHECKPOINT }));
        this.take(p, revision, FRESH_CHECKPOINT);
        return;
      }
      const record = decodeRecord(entry.value);
      // An entry nobody can read is taken over from the stream's start, as if new.
      const checkpoint = record.ok ? { closedThrough: record.value.closedThrough, replayFrom: record.value.replayFrom } : FRESH_CHECKPOINT;
      const free = !record.ok || record.value.owner === null || performance.now() - entry.at >= this.timing.leaseMs;
      if (!free) return;
      const revision = await this.kv.update(partitionKey(p), encodeRecord({ owner: this.id, ...checkpoint }), entry.revision);
      this.take(p, revision, checkpoint);
    } catch {
      // Another member was faster; the watcher shows who.
    }
  }

  private take(p: number, revision: number, checkpoint: Checkpoint): void {
    this.held.set(p, revision);
    this.holder.acquired(p, checkpoint);
  }

  private async handOver(p: number): Promise<void> {
    const revision = this.held.get(p);
    if (revision === undefined) return;
    this.held.delete(p);
    const checkpoint = await this.holder.handOver(p);
    try {
      await this.kv.update(partitionKey(p), encodeRecord({ owner: null, ...checkpoint }), revision);
    } catch (err) {
      this.onError(err);
    }
  }
}
