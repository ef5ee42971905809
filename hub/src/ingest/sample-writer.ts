import type { JetStreamClient } from 'nats';
import { metricsSubject, ROLLUP_WINDOW_MS } from '../protocol/index.js';
import { windowFloor } from '../rollups/aggregator.js';
import { MAX_SAMPLES_PER_PAYLOAD, type Sample } from './sample.js';

/** Messages waiting for JetStream's acknowledgement at once, per write. */
const IN_FLIGHT = 256;
const ATTEMPTS = 3;
const RETRY_AFTER_MS = 250;

export interface Written {
  messages: number;
  /** Samples stamped before the open window, counted in the window they arrived in (see `write`). */
  restamped: number;
}

/**
 * Stores samples from ingest (line protocol, JSON over HTTP) in the samples
 * stream as the rollups read them: one `metrics.<series>` message per series
 * (at most MAX_SAMPLES_PER_PAYLOAD samples each), each acknowledged by
 * JetStream. A message that is not acknowledged is sent again with the same
 * id, which the stream's duplicate window stores once; `write` rejects only
 * when one could not be stored at all.
 *
 * Pulse rolls up live data: a window takes samples stored by its end. A
 * sample stamped before the window open now (Telegraf stamps at collection
 * and sends at its flush interval), or more than a minute after it (a clock
 * gone wrong), goes without its time, into the window in which the stream
 * stores it, instead of being dropped as late or from the future.
 */
export class SampleWriter {
  private writes = 0;

  constructor(private readonly js: JetStreamClient) {}

  async write(samples: readonly Sample[], now = Date.now()): Promise<Written> {
    const open = windowFloor(now);
    let restamped = 0;
    const bySeries = new Map<string, string[]>();
    for (const s of samples) {
      const live = s.ts >= open && s.ts < open + 60 * ROLLUP_WINDOW_MS;
      if (!live) restamped++;
      let items = bySeries.get(s.series);
      if (!items) bySeries.set(s.series, (items = []));
      items.push(live ? `{"value":${s.value},"ts":${s.ts}}` : String(s.value));
    }
    const messages: Array<{ subject: string; data: string }> = [];
    for (const [series, items] of bySeries) {
      for (let i = 0; i < items.length; i += MAX_SAMPLES_PER_PAYLOAD) messages.push({ subject: metricsSubject(series), data: `[${items.slice(i, i + MAX_SAMPLES_PER_PAYLOAD).join(',')}]` });
    }
    const write = `${process.pid}-${Date.now().toString(36)}-${++this.writes}`;
    for (let i = 0; i < messages.length; i += IN_FLIGHT) {
      await Promise.all(messages.slice(i, i + IN_FLIGHT).map((m, k) => this.store(m.subject, m.data, `ingest-${write}-${i + k}`)));
    }
    return { messages: messages.length, restamped };
  }

  private async store(subject: string, data: string, msgID: string): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        await this.js.publish(subject, data, { msgID });
        return;
      } catch (err) {
        if (attempt >= ATTEMPTS) throw err;
        await new Promise((r) => setTimeout(r, RETRY_AFTER_MS * attempt));
      }
    }
  }
}
