import { ConsumerEvents, DeliverPolicy, type ConsumerMessages, type JetStreamClient } from 'nats';

/** One message of a stream, as the hub hands it to channels. `data` is JSON. */
export interface StreamMessage {
  subject: string;
  seq: number;
  /** When the stream stored it, in ms: the `ts` every hub reports for it. */
  ts: number;
  data: Uint8Array;
}

/**
 * Messages of the stream still to come to a live feed past which the hub
 * counts itself a slow consumer: at the fan-out's pace that is seconds late.
 */
export const SLOW_CONSUMER_PENDING = 10_000;

/** What a live feed reports besides its messages, for /metrics and the log. */
export interface LiveFeedEvents {
  /** The feed fell SLOW_CONSUMER_PENDING messages behind its stream (once per crossing). */
  slow(pending: number): void;
  /** NATS heartbeats of the feed's consumer went missing: the server or the route to it is gone or stalled. */
  heartbeatsMissed(): void;
}

/**
 * The hub's single live reader of a stream: an ordered consumer from "now",
 * never one per client or per channel. The ordered consumer re-creates itself
 * from the last sequence it saw after a gap or a NATS outage, so live delivery
 * neither skips nor repeats.
 *
 * nats.js hands each message to the callback as it is read, so the hub keeps
 * no queue of its own: what it has not taken waits in the stream, and the
 * pending count each message carries says how far behind the hub is.
 */
export class LiveFeed {
  /** Messages of the stream after the last one taken, as that message reported. */
  pending = 0;

  private constructor(private messages: ConsumerMessages | undefined) {}

  static async start(js: JetStreamClient, stream: string, onMessage: (m: StreamMessage) => void, events: LiveFeedEvents): Promise<LiveFeed> {
    const consumer = await js.consumers.get(stream, { deliver_policy: DeliverPolicy.New });
    const feed = new LiveFeed(undefined);
    const messages = await consumer.consume({
      max_messages: 1000,
      callback: (m) => {
        const was = feed.pending;
        feed.pending = m.info.pending;
        if (feed.pending >= SLOW_CONSUMER_PENDING && was < SLOW_CONSUMER_PENDING) events.slow(feed.pending);
        onMessage({ subject: m.subject, seq: m.seq, ts: Math.floor(m.info.timestampNanos / 1e6), data: m.data });
      },
    });
    feed.messages = messages;
    void (async () => {
      for await (const s of await messages.status()) if (s.type === ConsumerEvents.HeartbeatsMissed) events.heartbeatsMissed();
    })().catch(() => undefined);
    return feed;
  }

  async stop(): Promise<void> {
    await this.messages?.close();
  }
}
