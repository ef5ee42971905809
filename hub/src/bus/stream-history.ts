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
    const complete = await this.scan(subject, { after }, (m) => {
      if (m.seq > upTo) return false;
      out.push(m);
      return out.length < limit;
    });
    return { messages: out, complete };
  }

  /**
   * Hands `take` the messages under the subject stored at or after `since`
   * (ms since the epoch), oldest first, until it returns false or none are
   * left; resolves to whether the stream answered to the end.
   */
  readFromTime(subject: string, since: number, take: (m: StreamMessage) => boolean): Promise<boolean> {
    return this.scan(subject, { since }, take);
  }

  private async scan(subject: string, start: { after: number } | { since: number }, take: (m: StreamMessage) => boolean): Promise<boolean> {
    const deadline = Date.now() + READ_DEADLINE_MS;
    let last: number | undefined;
    let want: number | undefined;
    for (;;) {
      if (want !== undefined && Date.now() > deadline) return false;
      const from = last !== undefined ? { deliver_policy: DeliverPolicy.StartSequence, opt_start_seq: last + 1 }
        : 'after' in start ? { deliver_policy: DeliverPolicy.StartSequence, opt_start_seq: start.after + 1 }
        : { deliver_policy: DeliverPolicy.StartTime, opt_start_time: new Date(start.since).toISOString() };
      const info = await this.jsm.consumers.add(this.stream, {
        filter_subject: subject,
        ...from,
        ack_policy: AckPolicy.None,
        mem_storage: true,
        inactive_threshold: 10_000_000_000,
      });
      want ??= info.num_pending;
      try {
        const outcome = await this.drain(info.name, want, deadline, (m) => {
          last = m.seq;
          want!--;
          return take(m);
        });
        if (outcome !== 'hole') return outcome === 'complete';
      } finally {
        await this.jsm.consumers.delete(this.stream, info.name).catch(() => undefined);
      }
    }
  }

  /** Fetches from one consumer until `want` were taken, `take` says stop, the end, the deadline, or a hole in its deliveries. */
  private async drain(name: string, want: number, deadline: number, take: (m: StreamMessage) => boolean): Promise<'complete' | 'incomplete' | 'hole'> {
    const consumer = await this.js.consumers.get(this.stream, name);
    let delivered = 0;
    let left = want;
    while (left > 0) {
      const batch = await consumer.fetch({ max_messages: Math.min(FETCH_BATCH, left), expires: FETCH_EXPIRES_MS });
      let got = 0;
      for await (const m of batch) {
        if (m.info.deliverySequence !== delivered + 1) return 'hole';
        delivered++;
        got++;
        left--;
        if (!take({ subject: m.subject, seq: m.seq, ts: Math.floor(m.info.timestampNanos / 1e6), data: m.data })) return 'complete';
      }
      if (got > 0) continue;
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
