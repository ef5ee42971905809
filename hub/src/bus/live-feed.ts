import { ConsumerEvents, DeliverPolicy, type ConsumerMessages, type JetStreamClient, type JetStreamManager, type JsMsg, type NatsConnection } from 'nats';

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
/** A feed that has taken nothing for this long asks the stream whether it missed something. */
export const STALL_CHECK_MS = 2_000;
/** How long that question may take: while a NATS node is down it may go unanswered, and the next check asks again. */
const CHECK_TIMEOUT_MS = 1_500;
const OPEN_TIMEOUT_MS = 3_000;

/** What a live feed reports besides its messages, for /metrics and the log. */
export interface LiveFeedEvents {
  /** The feed fell SLOW_CONSUMER_PENDING messages behind its stream (once per crossing). */
  slow(pending: number): void;
  /** NATS heartbeats of the feed's consumer went missing: the server or the route to it is gone or stalled. */
  heartbeatsMissed(): void;
  /** The stream holds messages the feed's consumer stopped delivering: a new consumer took over from the last one taken. */
  restarted(from: number): void;
}

/**
 * The hub's single live reader of a stream: an ordered consumer from the
 * stream's end, never one per client or per channel. The ordered consumer
 * re-creates itself after a gap or an outage, so live delivery neither skips
 * nor repeats.
 *
 * That is not always enough in a cluster: when the NATS node holding the
 * consumer dies, the consumer can fall silent for good while the stream goes
 * on. So a feed that has taken nothing for STALL_CHECK_MS compares the
 * stream's last sequence with the last one it took, and when the stream is
 * ahead it starts a new consumer right after that one. Messages are taken
 * once by sequence, whichever consumer brings them.
 *
 * nats.js hands each message to the callback as it is read, so the hub keeps
 * no queue of its own: what it has not taken waits in the stream, and the
 * pending count each message carries says how far behind the hub is.
 */
export class LiveFeed {
  /** Messages of the stream after the last one taken, as that message reported. */
  pending = 0;
  private lastSeq = 0;
  private lastTakenAt = Date.now();
  private lastCheckAt = 0;
  private checking = false;
  private stopped = false;
  private messages: ConsumerMessages | undefined;
  /** Counts attempts to open a consumer: one that answers after a newer attempt began is closed. */
  private generation = 0;
  private readonly watchdog: NodeJS.Timeout;

  private constructor(
    private readonly js: JetStreamClient,
    private readonly jsm: JetStreamManager,
    readonly stream: string,
    private readonly onMessage: (m: StreamMessage) => void,
    private readonly events: LiveFeedEvents,
  ) {
    this.watchdog = setInterval(() => void this.check(), STALL_CHECK_MS / 3);
    this.watchdog.unref();
  }

  static async start(nc: NatsConnection, stream: string, onMessage: (m: StreamMessage) => void, events: LiveFeedEvents): Promise<LiveFeed> {
    // Where the stream ends now, asked with the connection's usual patience: the hub is starting.
    const lastSeq = (await (await nc.jetstreamManager()).streams.info(stream)).state.last_seq;
    const feed = new LiveFeed(nc.jetstream(), await nc.jetstreamManager({ timeout: CHECK_TIMEOUT_MS }), stream, onMessage, events);
    feed.lastSeq = lastSeq;
    // A consumer the cluster is slow to make is made by the watchdog's next check.
    await feed.open().catch(() => undefined);
    return feed;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.watchdog);
    await this.messages?.close();
  }

  /**
   * A consumer from the message after the last one taken. Creating it asks
   * the server, and a server that just lost a peer may never answer: past
   * OPEN_TIMEOUT_MS the attempt is given up (and its consumer closed should
   * it come after all), and the next check tries again.
   */
  private async open(): Promise<void> {
    const generation = ++this.generation;
    const opening = (async () => {
      const consumer = await this.js.consumers.get(this.stream, { deliver_policy: DeliverPolicy.StartSequence, opt_start_seq: this.lastSeq + 1 });
      return consumer.consume({ max_messages: 1000, callback: (m) => this.take(m) });
    })();
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no consumer of ${this.stream} within ${OPEN_TIMEOUT_MS} ms`)), OPEN_TIMEOUT_MS);
    });
    let messages: ConsumerMessages;
    try {
      messages = await Promise.race([opening, late]);
    } catch (err) {
      void opening.then((m) => (this.generation === generation && !this.stopped ? this.adopt(m) : m.close()), () => undefined);
      throw err;
    } finally {
      clearTimeout(timer);
    }
    this.adopt(messages);
  }

  private adopt(messages: ConsumerMessages): void {
    const old = this.messages;
    this.messages = messages;
    // Not awaited: closing asks the server, and the server of the old consumer may be the one that is gone.
    if (old && old !== messages) void old.close().catch(() => undefined);
    void (async () => {
      for await (const s of await messages.status()) if (s.type === ConsumerEvents.HeartbeatsMissed) this.events.heartbeatsMissed();
    })().catch(() => undefined);
  }

  private take(m: JsMsg): void {
    // After a restart the old consumer may wake up too: each sequence is taken once.
    if (m.seq <= this.lastSeq) return;
    this.lastSeq = m.seq;
    this.lastTakenAt = Date.now();
    const was = this.pending;
    this.pending = m.info.pending;
    if (this.pending >= SLOW_CONSUMER_PENDING && was < SLOW_CONSUMER_PENDING) this.events.slow(this.pending);
    this.onMessage({ subject: m.subject, seq: m.seq, ts: Math.floor(m.info.timestampNanos / 1e6), data: m.data });
  }

  private async check(): Promise<void> {
    const now = Date.now();
    if (this.stopped || this.checking || now - this.lastTakenAt < STALL_CHECK_MS || now - this.lastCheckAt < STALL_CHECK_MS) return;
    this.checking = true;
    this.lastCheckAt = now;
    try {
      if (!this.messages) {
        await this.open();
        return;
      }
      const last = (await this.jsm.streams.info(this.stream)).state.last_seq;
      if (this.stopped || last <= this.lastSeq || Date.now() - this.lastTakenAt < STALL_CHECK_MS) return;
      this.events.restarted(this.lastSeq + 1);
      await this.open();
    } catch {
      // NATS or the stream's leader is away; the next check tries again.
    } finally {
      this.checking = false;
    }
  }
}
