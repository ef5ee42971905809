import type { Member, PresenceCountFrame, PresenceDiffFrame, PresenceFrame, PresenceStateFrame } from '../protocol/index.js';

/** Every frame that tells a client who is in a channel. */
export type AnyPresenceFrame = PresenceFrame | PresenceCountFrame | PresenceStateFrame | PresenceDiffFrame;

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
  apply(frame: AnyPresenceFrame): boolean {
    if (frame.ch !== this.ch) return false;
    switch (frame.type) {
      case 'presence_count':
        this.members.clear();
        this.counted = frame.count;
        return true;
      case 'presence_state':
        this.members.clear();
        this.counted = undefined;
        for (const m of frame.members) this.members.set(m.id, m);
        return true;
      case 'presence_diff':
        this.counted = undefined;
        for (const m of frame.leaves) this.members.delete(m.id);
        for (const m of frame.joins) this.members.set(m.id, m);
        return true;
      case 'presence':
        this.counted = undefined;
        if (frame.event === 'join') this.members.set(frame.member.id, frame.member);
        else this.members.delete(frame.member.id);
        return true;
    }
  }
}
