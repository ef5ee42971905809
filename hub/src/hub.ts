import type { JetStreamClient, JetStreamManager, NatsConnection, Subscription } from 'nats';
import type { ChannelKind, PulseError } from './protocol/index.js';
import { BusState } from './bus/connect.js';
import { LiveFeed } from './bus/live-feed.js';
import { StreamHistory } from './bus/stream-history.js';
import { ROLLUPS_STREAM, ensureStreams } from './bus/streams.js';
import { channelMessage } from './channels/channel-message.js';
import { ChannelRegistry } from './channels/registry.js';
import type { ChannelSource } from './channels/source.js';
import { subscribeMetrics } from './ingest/metric-subscriber.js';
import { RollupAggregator } from './rollups/aggregator.js';
import { RollupChannels } from './rollups/rollup-channels.js';
import { RollupPublisher } from './rollups/rollup-publisher.js';
import { SessionTable } from './session/session-table.js';
import { Stats } from './stats/counters.js';
import { ThrottledLog } from './stats/throttled-log.js';
import type { Config } from './config.js';

const FLUSH_EVERY_MS = 100;
const LOG_INTERVAL_MS = 10_000;

/**
 * The hub's parts wired together: NATS in, channels and sessions out. The
 * HTTP app and the transports sit on top of it (app.ts).
 */
export class Hub {
  readonly stats = new Stats();
  readonly registry = new ChannelRegistry();
  readonly sessions: SessionTable;
  readonly sources: Partial<Record<ChannelKind, ChannelSource>>;
  readonly bus: BusState;
  readonly log = new ThrottledLog(LOG_INTERVAL_MS);
  readonly js: JetStreamClient;
  private readonly aggregator: RollupAggregator;
  private readonly publisher: RollupPublisher;
  private feed: LiveFeed | undefined;
  private metricsSub: Subscription | undefined;
  private flushTimer: NodeJS.Timeout | undefined;

  private constructor(
    readonly nc: NatsConnection,
    readonly jsm: JetStreamManager,
    readonly config: Config,
  ) {
    this.js = nc.jetstream();
    this.bus = new BusState(nc);
    const rollupStore = new StreamHistory(this.js, jsm, ROLLUPS_STREAM);
    this.sources = { metrics: new RollupChannels(rollupStore) };

    const clientErrors = (code: string) => this.stats.counter('pulse_client_errors_total', 'Error frames sent to clients, by code', { code });
    const limitHits = (limit: string) => this.stats.counter('pulse_limit_hits_total', 'Requests and frames refused by a limit, by limit', { limit });
    this.sessions = new SessionTable({
      registry: this.registry,
      sources: this.sources,
      limits: config.limits,
      onLimit: (kind) => limitHits(kind).inc(),
      onClientError: (e: PulseError) => clientErrors(e.code).inc(),
      onSyncFailure: (ch, err) => this.log.warn('history', `reading ${ch} failed: ${String(err)}`),
    });

    const published = this.stats.counter('pulse_rollups_published_total', 'Rollups this hub stored (duplicates from other hubs included)');
    const publishFailed = this.stats.counter('pulse_rollups_publish_failed_total', 'Rollups JetStream did not accept');
    this.publisher = new RollupPublisher(this.js, (series, err) => {
      publishFailed.inc();
      this.log.warn('rollup-publish', `rollup of ${series} not stored: ${String(err)}`);
    });
    this.aggregator = new RollupAggregator((series, rollup) => {
      published.inc();
      void this.publisher.publish(series, rollup);
    });
    this.registerGauges();
  }

  static async start(nc: NatsConnection, config: Config): Promise<Hub> {
    const jsm = await nc.jetstreamManager();
    await ensureStreams(jsm, { rollupsMaxAgeMinutes: config.rollupsMaxAgeMinutes });
    const hub = new Hub(nc, jsm, config);
    await hub.startFlows();
    return hub;
  }

  private async startFlows(): Promise<void> {
    const delivered = this.stats.counter('pulse_channel_messages_total', 'Stream messages fanned out to local subscribers');
    const framesOut = this.stats.counter('pulse_frames_out_total', 'Message frames handed to sessions by the fan-out');
    this.feed = await LiveFeed.start(this.js, ROLLUPS_STREAM, (m) => {
      const ch = RollupChannels.channelOf(m.subject);
      if (!this.registry.has(ch)) return;
      delivered.inc();
      framesOut.inc(this.registry.publish(channelMessage(ch, m.seq, m.ts, m.data)));
    });

    const samples = this.stats.counter('pulse_samples_total', 'Metric samples accepted into rollups');
    const late = this.stats.counter('pulse_samples_dropped_total', 'Metric samples dropped', { reason: 'late' });
    const future = this.stats.counter('pulse_samples_dropped_total', 'Metric samples dropped', { reason: 'future' });
    const bad = this.stats.counter('pulse_bad_input_total', 'Malformed input, by source', { source: 'nats_metrics' });
    this.metricsSub = subscribeMetrics(
      this.nc,
      (batch) => {
        const now = Date.now();
        for (const s of batch) {
          const outcome = this.aggregator.add(s.series, s.value, s.ts, now);
          if (outcome === 'accepted') samples.inc();
          else if (outcome === 'late') late.inc();
          else future.inc();
        }
      },
      (subject, error) => {
        bad.inc();
        this.log.warn('bad-metric', `${subject.slice(0, 120)}: ${error.message}`);
      },
    );
    this.flushTimer = setInterval(() => this.aggregator.flush(Date.now()), FLUSH_EVERY_MS);
  }

  private registerGauges(): void {
    this.stats.gauge('pulse_sessions', 'Open sessions, by transport', () =>
      Object.entries(this.sessions.countsByTransport()).map(([transport, n]) => [{ transport }, n]),
    );
    this.stats.gauge('pulse_nats_connected', '1 while the hub is connected to NATS', () => (this.bus.connected ? 1 : 0));
    this.stats.gauge('pulse_nats_reconnects', 'Reconnections to NATS since start', () => this.bus.reconnects);
    this.stats.gauge('pulse_nats_disconnects', 'Losses of the NATS connection since start', () => this.bus.disconnects);
  }

  /** Stops taking input, stores the open windows, and closes every session. */
  async stop(): Promise<void> {
    clearInterval(this.flushTimer);
    this.metricsSub?.unsubscribe();
    this.aggregator.flushAll();
    this.sessions.closeAll();
    await this.feed?.stop().catch(() => undefined);
  }
}
