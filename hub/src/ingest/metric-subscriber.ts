import type { NatsConnection, Subscription } from 'nats';
import type { Sample } from './sample.js';
import { parseMetricPayload } from './sample.js';
import { METRICS_SUBJECTS, seriesOfMetricsSubject, type PulseError, type Result } from '../protocol/index.js';
import { ownsSubjectSeries, type SeriesPartition } from './series-partition.js';

/**
 * Takes raw samples from core NATS (`metrics.>`): a firehose, never stored.
 * Every hub hears every sample and computes the same rollups; JetStream keeps
 * one copy of each (see RollupPublisher). Within a hub of several workers,
 * each worker aggregates only the names its partition owns.
 */
export function subscribeMetrics(
  nc: NatsConnection,
  partition: SeriesPartition,
  onSamples: (samples: Sample[]) => void,
  onBadPayload: (subject: string, error: PulseError) => void,
): Subscription {
  const decoder = new TextDecoder();
  return nc.subscribe(METRICS_SUBJECTS, {
    callback: (err, msg) => {
      if (err) return;
      const series = seriesOfMetricsSubject(msg.subject)!;
      if (!ownsSubjectSeries(partition, series)) return;
      const parsed: Result<Sample[]> = parseMetricPayload(series, decoder.decode(msg.data), Date.now());
      if (parsed.ok) onSamples(parsed.value);
      else onBadPayload(msg.subject, parsed.error);
    },
  });
}
