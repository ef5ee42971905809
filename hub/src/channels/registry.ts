import type { ChannelMessage } from './channel-message.js';

export interface ChannelSubscriber {
  deliver(msg: ChannelMessage): void;
}

/** Which local subscribers listen to which channel. Knows nothing of transports. */
export class ChannelRegistry {
  private readonly channels = new Map<string, Set<ChannelSubscriber>>();

  add(ch: string, sub: ChannelSubscriber): void {
    let set = this.channels.get(ch);
    if (!set) {
      set = new Set();
      this.channels.set(ch, set);
    }
    set.add(sub);
  }

  remove(ch: string, sub: ChannelSubscriber): void {
    const set = this.channels.get(ch);
    if (!set) return;
    set.delete(sub);
    if (set.size === 0) this.channels.delete(ch);
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
}
