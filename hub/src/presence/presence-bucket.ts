import { headers, StorageType, StringCodec, type JetStreamClient, type KV, type KvEntry, type NatsConnection, type QueuedIterator } from 'nats';
import { kvSubject } from '../bus/subjects.js';
import { PublishBatch } from '../bus/publish-batch.js';

const sc = StringCodec();

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

  private readonly batch: PublishBatch;

  private constructor(
    private readonly kv: KV,
    nc: NatsConnection,
  ) {
    this.batch = new PublishBatch(nc);
  }

  static async open(nc: NatsConnection, js: JetStreamClient): Promise<PresenceBucket> {
    // File storage: presence outlives a restart of nats-server, so hubs need not write it again.
    return new PresenceBucket(await js.views.kv(PRESENCE_BUCKET, { history: 1, storage: StorageType.File }), nc);
  }

  put(key: string, value: unknown): Promise<number> {
    return this.kv.put(key, JSON.stringify(value));
  }

  /** A put without an acknowledgement, batched: the watch shows whether it was stored (ConfirmedWrites). */
  send(key: string, value: unknown): void {
    this.batch.publish(kvSubject(PRESENCE_BUCKET, key), sc.encode(JSON.stringify(value)));
  }

  /** A delete without an acknowledgement, likewise. */
  sendDelete(key: string): void {
    const h = headers();
    h.set('KV-Operation', 'DEL');
    this.batch.publish(kvSubject(PRESENCE_BUCKET, key), undefined, h);
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

  /** Stops watching, and sends the writes still waiting in their batch. */
  stop(): void {
    this.watcher?.stop();
    this.batch.flush();
  }
}
