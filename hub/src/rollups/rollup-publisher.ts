import type { JetStreamClient } from 'nats';
import type { Rollup } from '../protocol/index.js';
import { rollupSubject } from '../bus/subjects.js';

/**
 * Stores each rollup in the rollups stream. The message id `<series>:<window>`
 * lets every hub of a deployment publish the same rollup: JetStream keeps the
 * first within its duplicate window.
 */
export class RollupPublisher {
  private readonly encoder = new TextEncoder();

  constructor(
    private readonly js: JetStreamClient,
    private readonly onError: (series: string, err: unknown) => void,
  ) {}

  publish(series: string, rollup: Rollup): Promise<void> {
    const data = this.encoder.encode(JSON.stringify(rollup));
    return this.js.publish(rollupSubject(series), data, { msgID: `${series}:${rollup.t}` }).then(
      () => undefined,
      (err: unknown) => this.onError(series, err),
    );
  }
}
