import type { User } from '../protocol/index.js';
import type { ChannelSubscriber } from '../channels/registry.js';

/**
 * What a session tells presence and asks of it. A session counts as present
 * in a channel from its `subscribed` until it unsubscribes or ends; presence
 * turns sessions into people, across hubs.
 */
export interface ChannelPresence {
  /** False when the session could not be made present (this hub holds as many entries as it may). */
  enter(ch: string, user: User): boolean;
  leave(ch: string, user: User): void;
  /** Sends a new subscriber who is here now: a `join` per member, or the count in a large channel. */
  greet(ch: string, to: ChannelSubscriber): void;
}
