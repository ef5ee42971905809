import type { Target } from './targets.js';

/** Parent to worker. */
export type WorkerCommand =
  | { cmd: 'connect'; target: Target; url: string; ch: string; count: number; concurrency: number }
  /** Counting starts over for run `run`; messages of other runs are ignored. */
  | { cmd: 'run'; run: number }
  /** `expected` messages were published in the run: how many did each client get? */
  | { cmd: 'report'; expected: number }
  /** From now on, count the clients that come back (reconnected and subscribed again). */
  | { cmd: 'mark' }
  | { cmd: 'count-back' }
  /** The outages clients reported since the last ask (ms from losing their connection to being subscribed again). */
  | { cmd: 'outages' }
  /** Each player's input-to-echo latency since the run started. */
  | { cmd: 'echoes' }
  | { cmd: 'close' };

export interface RunReport {
  clients: number;
  /** Messages of the run received, duplicates included. */
  delivered: number;
  duplicated: number;
  /** Expected per client minus unique received per client, summed (disconnected clients count whole). */
  lost: number;
  latency: { buckets: Array<[number, number]>; max: number };
  /** The clients that missed or repeated messages, worst first (at most 20), to tell where a loss came from. */
  worst: Array<{ target: Target; received: number; duplicated: number; lastIndex: number; open: boolean }>;
}

/** Worker to parent. */
export type WorkerEvent =
  | { ev: 'progress'; connected: number; failed: number }
  | { ev: 'connected'; connected: number; failed: number; firstError?: string }
  | { ev: 'report'; report: RunReport }
  | { ev: 'back'; back: number; clients: number }
  | { ev: 'outages'; outages: Array<[Target, number]> }
  | { ev: 'echoes'; echoes: PlayerEcho[] };

/** One player's inputs seen applied in the game's state: how many, and how long after they were sent. */
export interface PlayerEcho {
  echoes: number;
  p50: number;
  p99: number;
}
