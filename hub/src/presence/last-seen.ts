import { StorageType, StringCodec, type JetStreamClient, type KV, type NatsConnection } from 'nats';
import { kvSubject } from '../bus/subjects.js';
import { PublishBatch } from '../bus/publish-batch.js';
import { openBucket } from '../bus/kv-bucket.js';

const sc = StringCodec();

export const LAST_SEEN_BUCKET = 'PULSE_LAST_SEEN';
/** How long a user's last-seen time is kept after they were last seen. */
const KEEP_DAYS = 90;
const DAY_MS = 24 * 60 * 60 * 1000;

/**
 * When each person was last present anywhere, kept in a KV bucket so it
 * outlives hub restarts. Every hub sees the same leave (the presence
 * bucket's history is the same for all) and writes the same value, the
 * time nats-server stored that leave, so several hubs writing it agree.
 * That is also why a write is a plain publish, not an acknowledged put: the
 * other hubs write the same value, and a crowd leaving costs no request each.
 */
/** How long, and for how many people at most, a hub answers from its own recent records. */
const RECENT_MS = 10_000;
const RECENT_MAX = 10_000;

export class LastSeen {
  private readonly batch: PublishBatch;

  private constructor(
    private readonly kv: KV,
    nc: NatsConnection,
  ) {
    this.batch = new PublishBatch(nc);
  }

  static async open(nc: NatsConnection, js: JetStreamClient, replicas: number): Promise<LastSeen> {
    return new LastSeen(await openBucket(js, LAST_SEEN_BUCKET, { history: 1, storage: StorageType.File, ttl: KEEP_DAYS * DAY_MS, replicas }), nc);
  }

  /**
   * Records this hub made lately, answered before the bucket: a write waits
   * up to a batch interval, and a status asked right after a leave must not
   * read the bucket before it.
   */
  private readonly recent = new Map<string, { at: number; recordedAt: number }>();

  /** The user left their last channel at `at` (ms). */
  record(userId: string, at: number): void {
    const now = Date.now();
    for (const [id, r] of this.recent) {
      if (now - r.recordedAt < RECENT_MS && this.recent.size < RECENT_MAX) break;
      this.recent.delete(id);
    }
    this.recent.delete(userId);
    this.recent.set(userId, { at, recordedAt: now });
    this.batch.publish(kvSubject(LAST_SEEN_BUCKET, keyOf(userId)), sc.encode(String(at)));
  }

  /** Sends the writes still waiting in their batch. */
  stop(): void {
    this.batch.flush();
  }

  /** When the user was last seen, or undefined for someone never seen (or not for KEEP_DAYS). */
  async of(userId: string): Promise<number | undefined> {
    const recent = this.recent.get(userId);
    if (recent && Date.now() - recent.recordedAt < RECENT_MS) return recent.at;
    const e = await this.kv.get(keyOf(userId));
    if (!e || e.operation !== 'PUT') return undefined;
    const at = Number(new TextDecoder().decode(e.value));
    return Number.isSafeInteger(at) ? at : undefined;
  }
}

// KV keys allow only [-/_=.A-Za-z0-9]; user ids may hold anything else.
function keyOf(userId: string): string {
  return Buffer.from(userId, 'utf8').toString('base64url') || '_';
}
