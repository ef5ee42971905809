import { DeliverPolicy, type ConsumerMessages, type JetStreamClient } from 'nats';

/** One message of a stream, as the hub hands it to channels. `data` is JSON. */
export interface StreamMessage {
  subject: string;
  seq: number;
  /** When the stream stored it, in ms: the `ts` every hub reports for it. */
  ts: number;
  data: Uint8Array;
}

/**
 * The hub's single live reader of a stream: an ordered consumer from "now",
 * never one per client or per channel. The ordered consumer re-creates itself
 * from the last sequence it saw after a gap or a NATS outage, so live delivery
 * neither skips nor repeats.
 */
export class LiveFeed {
  private constructor(private readonly messages: ConsumerMessages) {}

  static async start(js: JetStreamClient, stream: string, onMessage: (m: StreamMessage) => void): Promise<LiveFeed> {
    const consumer = await js.consumers.get(stream, { deliver_policy: DeliverPolicy.New });
    const messages = await consumer.consume({
      max_messages: 1000,
      callback: (m) => {
        onMessage({ subject: m.subject, seq: m.seq, ts: Math.floor(m.info.timestampNanos / 1e6), data: m.data });
      },
    });
    return new LiveFeed(messages);
  }

  async stop(): Promise<void> {
    await this.messages.close();
  }
}
