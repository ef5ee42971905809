import { StringCodec, type NatsConnection } from 'nats';
import { clockMs, probePayload } from './probe.js';

const sc = StringCodec();
const TICK_MS = 5;

/**
 * Publishes `rate` probes a second for `seconds` on `subject`, evenly spread,
 * indexed from `from`, and resolves with how many it sent once NATS has them all.
 */
export async function publishRun(nc: NatsConnection, subject: string, run: number, rate: number, seconds: number, from = 0): Promise<number> {
  const total = Math.round(rate * seconds);
  const start = clockMs();
  let sent = 0;
  await new Promise<void>((done) => {
    const timer = setInterval(() => {
      const due = Math.min(total, Math.floor(((clockMs() - start) / 1000) * rate) + 1);
      while (sent < due) {
        nc.publish(subject, sc.encode(probePayload({ r: run, i: from + sent, t: clockMs() })));
        sent++;
      }
      if (sent >= total) {
        clearInterval(timer);
        done();
      }
    }, TICK_MS);
  });
  await nc.flush();
  return sent;
}
