import { monitorEventLoopDelay } from 'node:perf_hooks';
import type { HubFigures, TransportKind } from '../protocol/index.js';
import type { Stats } from '../stats/counters.js';

/** What the sampler reads of the hub besides its counters. */
export interface HubState {
  draining(): boolean;
  natsConnected(): boolean;
  sessions(): Record<TransportKind, number>;
}

/** Counters whose change per second the figures carry. */
const RATES = {
  framesInPerS: 'pulse_frames_received_total',
  framesOutPerS: 'pulse_frames_sent_total',
  bytesOutPerS: 'pulse_sent_bytes_total',
  coalescedPerS: 'pulse_coalesced_total',
} as const;

/**
 * Turns the hub's /metrics figures into the one small document the Hub page
 * shows, every interval: totals as they stand, counters as rates since the
 * last sample.
 */
export class FiguresSampler {
  private readonly startedAt = Date.now();
  private last: { at: number; totals: Record<keyof typeof RATES, number> } | undefined;
  private readonly loopDelay = monitorEventLoopDelay({ resolution: 10 });

  constructor(
    private readonly name: string,
    private readonly stats: Stats,
    private readonly state: HubState,
  ) {
    this.loopDelay.enable();
  }

  sample(now = Date.now()): HubFigures {
    const totals = Object.fromEntries(Object.entries(RATES).map(([k, metric]) => [k, this.stats.total(metric)])) as Record<keyof typeof RATES, number>;
    const seconds = this.last ? Math.max((now - this.last.at) / 1000, 0.001) : 0;
    const rate = (k: keyof typeof RATES) => (this.last ? Math.max(0, (totals[k] - this.last.totals[k]) / seconds) : 0);
    this.last = { at: now, totals };
    const memory = process.memoryUsage();
    const figures: HubFigures = {
      hub: this.name,
      at: now,
      uptimeS: Math.round((now - this.startedAt) / 1000),
      draining: this.state.draining(),
      natsConnected: this.state.natsConnected(),
      sessions: this.state.sessions(),
      framesInPerS: Math.round(rate('framesInPerS')),
      framesOutPerS: Math.round(rate('framesOutPerS')),
      bytesOutPerS: Math.round(rate('bytesOutPerS')),
      queuedBytes: this.stats.total('pulse_session_queued_bytes'),
      sessionsBehind: this.stats.total('pulse_sessions_behind'),
      coalescedPerS: Math.round(rate('coalescedPerS')),
      feedPending: this.stats.total('pulse_live_feed_pending_messages'),
      limitHits: this.stats.total('pulse_limit_hits_total'),
      natsReconnects: this.stats.total('pulse_nats_reconnects_total'),
      slowConsumers: this.stats.total('pulse_nats_slow_consumers_total'),
      jetStreamErrors: this.stats.total('pulse_jetstream_errors_total'),
      partitions: this.stats.total('pulse_rollup_partitions'),
      rssBytes: memory.rss,
      heapUsedBytes: memory.heapUsed,
      eventLoopDelayMs: Math.round(this.loopDelay.percentile(99) / 1e5) / 10,
    };
    this.loopDelay.reset();
    return figures;
  }

  stop(): void {
    this.loopDelay.disable();
  }
}
