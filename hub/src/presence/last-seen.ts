import { StorageType, type JetStreamClient, type KV } from 'nats';

export const LAST_SEEN_BUCKET = 'PULSE_LAST_SEEN';
/** How long a user's last-seen time is kept after they were last seen. */
const KEEP_DAYS = 90;
const DAY_MS = 24 * 60 * 60 * 1000;

/**
 * When each person was last present anywhere, kept in a KV bucket so it
 * outlives hub restarts. Every hub sees the same leave (the presence
 * bucket's history is the same for all) and writes the same value, the
 * time nats-server stored that leave, so several hubs writing it agree.
 */
export class LastSeen {
  private constructor(private readonly kv: KV) {}

  static async open(js: JetStreamClient): Promise<LastSeen> {
    return new LastSeen(await js.views.kv(LAST_SEEN_BUCKET, { history: 1, storage: StorageType.File, ttl: KEEP_DAYS * DAY_MS }));
  }

  /** The user left their last channel at `at` (ms). */
  async record(userId: string, at: number): Promise<void> {
    await this.kv.put(keyOf(userId), String(at));
  }

  /** When the user was last seen, or undefined for someone never seen (or not for KEEP_DAYS). */
  async of(userId: string): Promise<number | undefined> {
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
