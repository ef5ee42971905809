import type { TransportKind } from './frames.js';

/** The channel every hub publishes its figures to, once a second (docs/protocol.md, `ops:` channels). */
export const HUB_FIGURES_CHANNEL = 'ops:hubs';
export const HUB_FIGURES_EVERY_MS = 1000;
/** A hub not heard from for this long is shown as silent: stopped, killed, or cut off from NATS. */
export const HUB_SILENT_AFTER_MS = 3500;

/** The `data` of an `ops:hubs` message: one hub's figures at `at`; rates are per second over the last interval. */
export interface HubFigures {
  /** HUB_NAME: unique among the hubs of a deployment. */
  hub: string;
  at: number;
  uptimeS: number;
  /** Stopping: failing its health check and handing its sessions over. */
  draining: boolean;
  natsConnected: boolean;
  sessions: Record<TransportKind, number>;
  framesInPerS: number;
  framesOutPerS: number;
  bytesOutPerS: number;
  /** Bytes waiting for clients, and clients behind (held to the newest rollup and room state). */
  queuedBytes: number;
  sessionsBehind: number;
  coalescedPerS: number;
  /** Messages of the streams the live feeds have yet to take. */
  feedPending: number;
  /** Counted since the hub started. */
  limitHits: number;
  natsReconnects: number;
  slowConsumers: number;
  jetStreamErrors: number;
  /** Rollup partitions this hub owns. */
  partitions: number;
  rssBytes: number;
  heapUsedBytes: number;
  /** p99 of the event loop's delay over the last interval: how late the hub runs what is due. */
  eventLoopDelayMs: number;
}
