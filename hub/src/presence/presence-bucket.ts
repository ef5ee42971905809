import { StorageType, type JetStreamClient, type KV, type KvEntry, type QueuedIterator } from 'nats';

export const PRESENCE_BUCKET = 'PULSE_PRESENCE';

export interface BucketEntry {
  key: string;
  revision: number;
  operation: 'PUT' | 'DEL' | 'PURGE';
  value: Uint8Array;
  /** When nats-server stored it. */
  created: number;
}

/**
 * The presence bucket, shared by every hub: each hub writes only its own keys
 * and every hub watches all of them. Deletes of another hub's keys (a sweep
 * after that hub died) name the revision they saw, so of several hubs
 * sweeping at once exactly one delete lands.
 */
export class PresenceBucket {
  private watcher: QueuedIterator<KvEntry> | undefined;

  private constructor(private readonly kv: KV) {}

  static async open(js: JetStreamClient): Promise<PresenceBucket> {
    // File storage: presence outlives a restart of nats-server, so hubs need not write it again.
    return new PresenceBucket(await js.views.kv(PRESENCE_BUCKET, { history: 1, storage: StorageType.File }));
  }

  put(key: string, value: unknown): Promise<number> {
    return this.kv.put(key, JSON.stringify(value));
  }

  /** With `revision`, only while the key is still at it. */
  async delete(key: string, revision?: number): Promise<void> {
    await this.kv.delete(key, revision === undefined ? undefined : { previousSeq: revision });
  }

  /**
   * Every entry now in the bucket, then every change, in bucket order;
   * `ready` once the entries present at the start have all been delivered.
   */
  async watch(onEntry: (e: BucketEntry) => void, ready: () => void): Promise<void> {
    this.watcher = await this.kv.watch({ key: '>', initializedFn: ready });
    void (async () => {
      for await (const e of this.watcher!) {
        onEntry({ key: e.key, revision: e.revision, operation: e.operation, value: e.value, created: e.created.getTime() });
      }
    })();
  }

  stop(): void {
    this.watcher?.stop();
  }
}
