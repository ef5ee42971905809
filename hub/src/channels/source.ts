import type { ChannelName, Result } from '../protocol/index.js';
import type { ChannelMessage } from './channel-message.js';
import type { ChannelSubscriber } from './registry.js';

/** What a new subscriber receives before live messages. */
export interface SyncResult {
  /** The channel's latest seq at the time of the sync; 0 for a channel that never carried a message. */
  seq: number;
  /** Messages after the subscriber's `since`, oldest first. */
  messages: ChannelMessage[];
  /** True when every message after `since` is among `messages`. */
  recovered: boolean;
}

/**
 * Where one kind of channel keeps its history. Each kind (metrics, rooms,
 * inboxes) implements it over its own stream; sessions and HTTP routes only
 * see this interface.
 */
export interface ChannelSource {
  /**
   * False for channels that watch others: subscribing does not make the
   * subscriber present there. True for a channel with its own greeting whose
   * subscribers are still greeted with who is present.
   */
  readonly tracksPresence?: boolean;
  /** What a new subscriber gets right after its catch-up: instead of who is present, unless `tracksPresence` is true. */
  greet?(ch: ChannelName, to: ChannelSubscriber): void;
  sync(ch: ChannelName, since: number | undefined): Promise<Result<SyncResult>>;
  /** With `since`, the messages after it, oldest first; without, the newest `limit`. */
  history(ch: ChannelName, since: number | undefined, limit: number): Promise<Result<ChannelMessage[]>>;
}
