import type { NatsConnection, Subscription } from 'nats';
import { INGEST_INFLUX_SUBJECT } from '../protocol/index.js';
import { decodeLineProtocol } from './line-protocol.js';
import { samplesOfPoints } from './line-samples.js';
import type { SampleWriter } from './sample-writer.js';

/** Every hub process joins this queue group: a message is read by one of them. */
const QUEUE = 'pulse-ingest';

export interface InfluxEvents {
  /** One message read: samples stored, lines refused, samples restamped. */
  read: (outcome: { taken: number; refused: number; restamped: number; firstRefusal?: string }) => void;
  /** The message was not stored (JetStream refused, or it could not be read): it is lost, as core NATS messages are when nobody takes them. */
  failed: (err: unknown) => void;
}

/**
 * InfluxDB line protocol on NATS `ingest.influx`, what Telegraf's NATS output
 * sends. One message at a time is read, and stored before the next: a burst
 * waits in NATS's pending buffer for this subscription, and past it NATS
 * counts a slow consumer. Points without a timestamp get the time the
 * message is read.
 */
export class InfluxSubscription {
  private constructor(private readonly sub: Subscription) {}

  static start(nc: NatsConnection, writer: SampleWriter, events: InfluxEvents): InfluxSubscription {
    const sub = nc.subscribe(INGEST_INFLUX_SUBJECT, { queue: QUEUE });
    void (async () => {
      for await (const m of sub) {
        // Whatever one message does, the next is still read: anyone with the service password can publish here.
        try {
          const now = Date.now();
          const decoded = decodeLineProtocol(m.data, { defaultTimeNs: BigInt(now) * 1_000_000n });
          const found = samplesOfPoints(decoded.points);
          const refusals = [...decoded.errors.map((e) => `line ${e.line}, column ${e.column}: ${e.message}`), ...found.failed.map((f) => `line ${f.line}: ${f.reason}`)];
          const restamped = found.samples.length > 0 ? (await writer.write(found.samples, now)).restamped : 0;
          events.read({ taken: found.samples.length, refused: refusals.length, restamped, ...(refusals.length > 0 && { firstRefusal: refusals[0] }) });
        } catch (err) {
          events.failed(err);
        }
      }
    })();
    return new InfluxSubscription(sub);
  }

  stop(): void {
    this.sub.unsubscribe();
  }
}
