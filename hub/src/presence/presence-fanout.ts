import type { ChannelRegistry, ChannelSubscriber } from '../channels/registry.js';
import type { Member, PresenceCountFrame, PresenceFrame } from '../protocol/index.js';
import type { PresenceView, Transition } from './presence-view.js';

/** Large channels get their count at most this often. */
export const COUNT_INTERVAL_MS = 1_000;

/**
 * Presence as frames for this hub's subscribers. Up to `countAbove` members a
 * channel sends a `presence` frame per join and leave, serialized once for
 * all its subscribers; past it, a `presence_count` at most once a second, so
 * a channel watched by 50,000 people does not send 50,000 frames to each.
 */
export class PresenceFanout {
  private readonly counting = new Set<string>();
  private readonly changed = new Set<string>();
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly registry: ChannelRegistry,
    private readonly view: PresenceView,
    private readonly countAbove: number,
  ) {
    this.timer = setInterval(() => this.tick(), COUNT_INTERVAL_MS);
  }

  apply(t: Transition): void {
    if (this.counting.has(t.ch)) {
      this.changed.add(t.ch);
      return;
    }
    if (this.view.count(t.ch) > this.countAbove) {
      this.counting.add(t.ch);
      this.sendCount(t.ch);
      return;
    }
    this.registry.publishEphemeral(t.ch, 'presence', presenceFrame(t.ch, t.event, t.member));
  }

  greet(ch: string, to: ChannelSubscriber): void {
    if (this.counting.has(ch) || this.view.count(ch) > this.countAbove) {
      to.deliverEphemeral('presence_count', countFrame(ch, this.view.count(ch)));
      return;
    }
    for (const m of this.view.members(ch)) to.deliverEphemeral('presence', presenceFrame(ch, 'join', m.member));
  }

  stop(): void {
    clearInterval(this.timer);
  }

  private tick(): void {
    for (const ch of this.changed) {
      this.sendCount(ch);
      if (this.view.count(ch) > this.countAbove) continue;
      // Back to a list: the count just sent voids what clients hold, and a join per member rebuilds it.
      this.counting.delete(ch);
      for (const m of this.view.members(ch)) this.registry.publishEphemeral(ch, 'presence', presenceFrame(ch, 'join', m.member));
    }
    this.changed.clear();
  }

  private sendCount(ch: string): void {
    this.registry.publishEphemeral(ch, 'presence_count', countFrame(ch, this.view.count(ch)));
  }
}

function presenceFrame(ch: string, event: 'join' | 'leave', member: Member): string {
  return JSON.stringify({ type: 'presence', ch, event, member: { id: member.id, name: member.name, role: member.role } } satisfies PresenceFrame);
}

function countFrame(ch: string, count: number): string {
  return JSON.stringify({ type: 'presence_count', ch, count } satisfies PresenceCountFrame);
}
