import { AckPolicy, DeliverPolicy, type JetStreamClient, type JetStreamManager } from 'nats';
import type { StreamMessage } from './live-feed.js';

const FETCH_BATCH = 500;
const FETCH_EXPIRES_MS = 2_000;
/** How long a read keeps asking a stream that answers with nothing while it still holds messages. */
const READ_DEADLINE_MS = 10_000;

/** What one history read found. */
export interface HistoryRead {
  /** Oldest first. */
  messages: StreamMessage[];
  /**
   * True when every message the stream held under the subject (up to the
   * read's horizon, within its limit) was delivered. False when the stream
   * stopped answering before that: the caller must not claim a full replay.
   */
  complete: boolean;
}

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

  /** The newest sequence stored under the subject (wildcards allowed), 0 when there is none. */
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

  /**
   * Messages under the subject with after < seq <= upTo, oldest first, at most
   * `limit`. An empty fetch is not taken for the end: the read asks again
   * until the consumer has nothing left or READ_DEADLINE_MS passes.
   *
   * A fetch that expires while the server is stalled can have its messages
   * delivered after the client stopped listening: with no acks, the consumer
   * counts them as delivered and moves on. The consumer's delivery sequence
   * shows the hole, and the read starts again after the last message it has.
   */
  async read(subject: string, after: number, limit: number, upTo = Number.MAX_SAFE_INTEGER): Promise<HistoryRead> {
    if (upTo <= after || limit <= 0) return { messages: [], complete: true };
    const out: StreamMessage[] = [];
    const deadline = Date.now() + READ_DEADLINE_MS;
    let want: number | undefined;
    for (;;) {
      if (want !== undefined && Date.now() > deadline) return { messages: out, complete: false };
      const info = await this.jsm.consumers.add(this.stream, {
        filter_subject: subject,
        deliver_policy: DeliverPolicy.StartSequence,
        opt_start_seq: (out.at(-1)?.seq ?? after) + 1,
        ack_policy: AckPolicy.None,
        mem_storage: true,
        inactive_threshold: 10_000_000_000,
      });
      want ??= Math.min(info.num_pending, limit);
      try {
        const outcome = await this.drain(info.name, out, want, upTo, deadline);
        if (outcome !== 'hole') return { messages: out, complete: outcome === 'complete' };
      } finally {
        await this.jsm.consumers.delete(this.stream, info.name).catch(() => undefined);
      }
    }
  }

  /** Fetches from one consumer into `out` until `want`, `upTo`, the end, the deadline, or a hole in its deliveries. */
  private async drain(name: string, out: StreamMessage[], want: number, upTo: number, deadline: number): Promise<'complete' | 'incomplete' | 'hole'> {
    const consumer = await this.js.consumers.get(this.stream, name);
    let delivered = 0;
    while (out.length < want) {
      const batch = await consumer.fetch({ max_messages: Math.min(FETCH_BATCH, want - out.length), expires: FETCH_EXPIRES_MS });
      const before = out.length;
      for await (const m of batch) {
        if (m.info.deliverySequence !== delivered + 1) return 'hole';
        delivered++;
        if (m.seq > upTo) return 'complete';
        out.push({ subject: m.subject, seq: m.seq, ts: Math.floor(m.info.timestampNanos / 1e6), data: m.data });
      }
      if (out.length > before) continue;
      // Nothing came: the rest aged out (the consumer has none left), the server is slow, or what it sent was lost.
      const state = await this.jsm.consumers.info(this.stream, name);
      if (state.delivered.consumer_seq > delivered) return 'hole';
      if (state.num_pending === 0) return 'complete';
      if (Date.now() > deadline) return 'incomplete';
    }
    return 'complete';
  }
}
function isNoMessage(err: unknown): boolean {
  return err instanceof Error && /no message found/i.test(err.message);
}
