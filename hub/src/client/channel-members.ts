import type { Member, PresenceCountFrame, PresenceFrame } from '../protocol/index.js';

/**
 * Who is in one channel, as its presence frames tell a client. Each
 * `subscribed` (every reconnect) is followed by a fresh greeting, so the list
 * starts over there; a `presence_count` means the channel is too large for a
 * list, and its count replaces whatever list was held.
 */
export class ChannelMembers {
  readonly members = new Map<string, Member>();
  /** The hub's count while in count mode; undefined while the list is exact. */
  counted: number | undefined;

  constructor(readonly ch: string) {}

  get count(): number {
    return this.counted ?? this.members.size;
  }

  /** Starts over, as after `subscribed`. */
  reset(): void {
    this.members.clear();
    this.counted = undefined;
  }

  /** Applies a presence frame of this channel; returns whether anything changed. */
  apply(frame: PresenceFrame | PresenceCountFrame): boolean {
    if (frame.ch !== this.ch) return false;
    if (frame.type === 'presence_count') {
      this.members.clear();
      this.counted = frame.count;
      return true;
    }
    this.counted = undefined;
    if (frame.event === 'join') this.members.set(frame.member.id, frame.member);
    else this.members.delete(frame.member.id);
    return true;
  }
}
