import type { JetStreamClient } from 'nats';
import type { Rollup, RollupWindow } from '../protocol/index.js';
import { rollupSubject } from '../bus/subjects.js';

/** JetStream may be away for a moment (a leader election, a reconnect); a rollup is worth waiting for. */
const ATTEMPTS = 20;
const RETRY_AFTER_MS = 500;

/**
 * Stores each rollup in its window length's stream with the message id
 * `<series>:<window start>`. One hub rolls a partition up at a time, but around a
 * handover the previous and the next owner may both store a window; they
 * compute it from the same messages, so the copies are identical, and
 * JetStream keeps the first within its duplicate window.
 */
export class RollupPublisher {
  private readonly encoder = new TextEncoder();

  constructor(
    private readonly js: JetStreamClient,
    private readonly onError: (series: string, err: unknown) => void,
  ) {}

  /** True once stored (or found stored already); false when JetStream refused it every time. */
  async publish(window: RollupWindow, series: string, rollup: Rollup): Promise<boolean> {
    const data = this.encoder.encode(JSON.stringify(rollup));
    for (let attempt = 1; ; attempt++) {
      try {
        await this.js.publish(rollupSubject(window, series), data, { msgID: `${series}:${rollup.t}` });
        return true;
      } catch (err) {
        if (attempt === ATTEMPTS) {
          this.onError(series, err);
          return false;
        }
        await new Promise((r) => setTimeout(r, RETRY_AFTER_MS));
      }
    }
  }
}
