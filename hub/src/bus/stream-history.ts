import { AckPolicy, DeliverPolicy, type JetStreamClient, type JetStreamManager } from 'nats';
import type { StreamMessage } from './live-feed.js';

const FETCH_BATCH = 500;
const FETCH_EXPIRES_MS = 2_000;

/**
 * Reads one subject's history from a stream: the replay behind `since` and
 * `/api/history`. Each read is a short-lived ephemeral consumer sized by the
 * pending count at its creation; what is stored later reaches the reader
 * through the live feed, which the session joins by sequence.
 */
export class StreamHistory {
  constructor(
    private readonly js: JetStreamClient,
    private readonly jsm: JetStreamManager,
    readonly stream: string,
  ) {}

  /** The newest sequence stored under the subject, 0 when there is none. */
  async lastSeq(subject: string): Promise<number> {
    try {
      const m = await this.jsm.streams.getMessage(this.stream, { last_by_subj: subject });
      return m.seq;
    } catch (err) {
      if (isNoMessage(err)) return 0;
      throw err;
    }
  }

  /** The oldest sequence the stream still holds: anything older has aged out. */
  async firstSeq(): Promise<number> {
    const info = await this.jsm.streams.info(this.stream);
    return info.state.first_seq;
  }

  /** Messages under the subject with seq > after, oldest first, at most `limit`. */
  async read(subject: string, after: number, limit: number): Promise<StreamMessage[]> {
    const info = await this.jsm.consumers.add(this.stream, {
      filter_subject: subject,
      deliver_policy: DeliverPolicy.StartSequence,
      opt_start_seq: after + 1,
      ack_policy: AckPolicy.None,
      mem_storage: true,
      inactive_threshold: 10_000_000_000,
    });
    const want = Math.min(info.num_pending, limit);
    const out: StreamMessage[] = [];
    try {
      const consumer = await this.js.consumers.get(this.stream, info.name);
      while (out.length < want) {
        const batch = await consumer.fetch({ max_messages: Math.min(FETCH_BATCH, want - out.length), expires: FETCH_EXPIRES_MS });
        const before = out.length;
        for await (const m of batch) {
          out.push({ subject: m.subject, seq: m.seq, ts: Math.floor(m.info.timestampNanos / 1e6), data: m.data });
        }
        // Messages that aged out after the count was taken never arrive: stop with what there is.
        if (out.length === before) break;
      }
    } finally {
      await this.jsm.consumers.delete(this.stream, info.name).catch(() => undefined);
    }
    return out;
  }
}

function isNoMessage(err: unknown): boolean {
  return err instanceof Error && /no message found/i.test(err.message);
}
