import type { ChannelMessage } from './channel-message.js';

/** Frames outside a channel's sequence: presence and typing. */
export type EphemeralType = 'message' | 'presence' | 'presence_count' | 'presence_state' | 'presence_diff';

export interface ChannelSubscriber {
  deliver(msg: ChannelMessage): void;
  /** A frame outside the channel's sequence (presence, typing): no position moves, nothing is replayed. */
  deliverEphemeral(type: EphemeralType, frame: Buffer | string): void;
  /** Whether its session takes presence as `presence_state` and `presence_diff` frames. */
  readonly presenceDiff: boolean;
}

/** A channel's local subscribers, with the one copy of its name they can share. */
class Subscribers extends Set<ChannelSubscriber> {
  constructor(readonly ch: string) {
    super();
  }
}

/** Which local subscribers listen to which channel. Knows nothing of transports. */
export class ChannelRegistry {
  private readonly channels = new Map<string, Subscribers>();

  add(ch: string, sub: ChannelSubscriber): void {
    let set = this.channels.get(ch);
    if (!set) {
      set = new Subscribers(ch);
      this.channels.set(ch, set);
    }
    set.add(sub);
  }

  /**
   * The registry's copy of a channel name while the channel has subscribers,
   * else `ch`: each session parses its own from its frames, and 5,000
   * subscriptions of one channel then keep one string instead of 5,000.
   */
  shared(ch: string): string {
    return this.channels.get(ch)?.ch ?? ch;
  }

  remove(ch: string, sub: ChannelSubscriber): void {
    const set = this.channels.get(ch);
    if (!set) return;
    set.delete(sub);
    if (set.size === 0) this.channels.delete(ch);
  }

  /** Channels with at least one local subscriber. */
  get size(): number {
    return this.channels.size;
  }

  has(ch: string): boolean {
    return this.channels.has(ch);
  }

  subscribers(ch: string): number {
    return this.channels.get(ch)?.size ?? 0;
  }

  /** Hands one prepared message to every local subscriber of its channel. */
  publish(msg: ChannelMessage): number {
    const set = this.channels.get(msg.ch);
    if (!set) return 0;
    for (const sub of set) sub.deliver(msg);
    return set.size;
  }

  /** Hands one prepared ephemeral frame to every local subscriber of the channel. */
  publishEphemeral(ch: string, type: EphemeralType, frame: Buffer | string): number {
    const set = this.channels.get(ch);
    if (!set) return 0;
    for (const sub of set) sub.deliverEphemeral(type, frame);
    return set.size;
  }

  /**
   * Presence of one channel: one summary frame (`presence_diff` or
   * `presence_state`) to the sessions that take them, a `presence` frame per
   * change to the others.
   */
  publishPresence(ch: string, perChange: () => readonly string[], summary: { type: 'presence_diff' | 'presence_state'; frame: string }): void {
    const set = this.channels.get(ch);
    if (!set) return;
    // Built only if a session still takes them, and then once for all.
    let frames: readonly string[] | undefined;
    for (const sub of set) {
      if (sub.presenceDiff) sub.deliverEphemeral(summary.type, summary.frame);
      else for (const frame of (frames ??= perChange())) sub.deliverEphemeral('presence', frame);
    }
  }

}
