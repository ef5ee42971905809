import type { ChannelMessage } from './channel-message.js';

/**
 * What a subscriber that has fallen behind gets instead of a queue, for the
 * kinds of message where a newer one makes the older ones moot: a metric
 * series' newest rollup, a room's current state for its patches. Messages
 * without one (chat, events, inboxes) are never replaced: they queue, and a
 * subscriber that falls too far behind them is closed with `overloaded`.
 */
export interface Coalescing {
  /** The channel kind, as `pulse_coalesced_total` counts it. */
  readonly kind: string;
  /**
   * The one message that stands for `newest` and every held message of its
   * channel before it, or undefined when none can now (each must then be sent).
   */
  stand(newest: ChannelMessage): ChannelMessage | undefined;
}

/** The newest message replaces the ones before it: each carries the whole of what it describes. */
export function newestWins(kind: string): Coalescing {
  return { kind, stand: (newest) => newest };
}
