import { headers, StorageType, StringCodec, type JetStreamClient, type KV, type KvEntry, type NatsConnection, type QueuedIterator } from 'nats';
import { kvSubject } from '../bus/subjects.js';
import { PublishBatch } from '../bus/publish-batch.js';
import { openBucket } from '../bus/kv-bucket.js';

const sc = StringCodec();
/** Entries handled before the watch lets other work run. */
const WATCH_YIELD_EVERY = 200;
/** JetStream's header for a publish that must find the subject at this sequence. */
const EXPECTED_LAST_SUBJECT_SEQUENCE = 'Nats-Expected-Last-Subject-Sequence';

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

  static async open(nc: NatsConnection, js: JetStreamClient, replicas: number): Promise<PresenceBucket> {
    // File storage: presence outlives a restart of nats-server, so hubs need not write it again.
    return new PresenceBucket(await openBucket(js, PRESENCE_BUCKET, { history: 1, storage: StorageType.File, replicas }), nc);
  }

  put(key: string, value: unknown): Promise<number> {
    return this.kv.put(key, JSON.stringify(value));
  }

  /** A put without an acknowledgement, batched: the watch shows whether it was stored (ConfirmedWrites). */
  send(key: string, value: unknown): void {
    this.batch.publish(kvSubject(PRESENCE_BUCKET, key), sc.encode(JSON.stringify(value)));
  }

  /**
   * A delete without an acknowledgement, likewise; with `revision`, the stream
   * takes it only while the key is still at it (what a KV delete with
   * `previousSeq` sends), so of several hubs sweeping at once one lands.
   */
  sendDelete(key: string, revision?: number): void {
    const h = headers();
    h.set('KV-Operation', 'DEL');
    if (revision !== undefined) h.set(EXPECTED_LAST_SUBJECT_SEQUENCE, String(revision));
    this.batch.publish(kvSubject(PRESENCE_BUCKET, key), undefined, h);
  }

  /**
   * Every entry now in the bucket, then every change, in bucket order;
   * `ready` once the entries present at the start have all been delivered.
   */
  async watch(onEntry: (e: BucketEntry) => void, ready: () => void): Promise<void> {
    this.watcher = await this.kv.watch({ key: '>', initializedFn: ready });
    void (async () => {
      let n = 0;
      for await (const e of this.watcher!) {
        onEntry({ key: e.key, revision: e.revision, operation: e.operation, value: e.value, created: e.created.getTime() });
        // A burst (a dead hub's members swept at once) would otherwise run in one turn of the event
        // loop, and channel messages wait for its end.
        if (++n % WATCH_YIELD_EVERY === 0) await new Promise((r) => setImmediate(r));
      }
    })();
  }

  /** Stops watching, and sends the writes still waiting in their batch. */
  stop(): void {
    this.watcher?.stop();
    this.batch.flush();
  }
}
