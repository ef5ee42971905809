import { DeliverPolicy, type ConsumerMessages, type JetStreamClient, type JsMsg } from 'nats';

/**
 * Reads a whole stream in order from a chosen seq with one ordered consumer,
 * and can be sent back to an earlier seq. A move takes effect at once:
 * messages the previous consumer still delivers are dropped, so a reader of
 * this never sees a seq twice from two consumers interleaved.
 */
export class StreamReader {
  private messages: ConsumerMessages | undefined;
  private generation = 0;
  /** The seq the current consumer was asked to start at, and whether it has delivered anything yet. */
  private startedAt = 0;
  private delivered = false;

  constructor(
    private readonly js: JetStreamClient,
    private readonly stream: string,
    /** `gapBefore`: the first message of a move is later than the seq asked for; those between are gone from the stream. */
    private readonly onMessage: (m: JsMsg, gapBefore: boolean) => void,
    private readonly onError: (err: unknown) => void,
  ) {}

  /** Moves the reader to `seq` (the stream's first message when that is older). */
  async readFrom(seq: number): Promise<void> {
    const generation = ++this.generation;
    const previous = this.messages;
    this.messages = undefined;
    this.startedAt = seq;
    this.delivered = false;
    await previous?.close().catch(this.onError);
    const consumer = await this.js.consumers.get(this.stream, { deliver_policy: DeliverPolicy.StartSequence, opt_start_seq: seq });
    if (generation !== this.generation) return;
    const messages = await consumer.consume({
      max_messages: 4096,
      callback: (m) => {
        if (generation !== this.generation) return;
        const gap = !this.delivered && m.seq > this.startedAt;
        this.delivered = true;
        this.onMessage(m, gap);
      },
    });
    if (generation !== this.generation) await messages.close().catch(this.onError);
    else this.messages = messages;
  }

  async stop(): Promise<void> {
    this.generation++;
    await this.messages?.close().catch(this.onError);
    this.messages = undefined;
  }
}
