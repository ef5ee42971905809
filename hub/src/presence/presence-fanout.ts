import type { ChannelRegistry, ChannelSubscriber } from '../channels/registry.js';
import type { Member, PresenceCountFrame, PresenceDiffFrame, PresenceFrame, PresenceStateFrame } from '../protocol/index.js';
import type { PresenceView, Transition } from './presence-view.js';

/** Large channels get their count at most this often... */
export const COUNT_INTERVAL_MS = 1_000;
/**
 * ...and, like diffs, once per millisecond per member, up to this: the count
 * goes to every member, so a crowd of 5,000 arriving costs one round of
 * counts rather than one a second.
 */
export const COUNT_INTERVAL_MAX_MS = 10_000;
/** A channel's joins and leaves are gathered this long, then sent together... */
export const DIFF_INTERVAL_MS = 100;
/**
 * ...or, in a channel of more members, one millisecond per member, up to
 * this: every member gets each diff, so a channel's presence then costs at
 * most about 1,000 frames a second, whatever its size (a crowd of 1,000
 * arriving cost ten times that at 100 ms, a fifth of the hub's work).
 */
export const DIFF_INTERVAL_MAX_MS = 1_000;

export function diffIntervalMs(members: number): number {
  return Math.min(DIFF_INTERVAL_MAX_MS, Math.max(DIFF_INTERVAL_MS, members));
}

export function countIntervalMs(members: number): number {
  return Math.min(COUNT_INTERVAL_MAX_MS, Math.max(COUNT_INTERVAL_MS, members));
}

/**
 * Presence as frames for this hub's subscribers, each frame serialized once
 * for all of them. A channel's changes are gathered for DIFF_INTERVAL_MS:
 * sessions opened with `presence=diff` then get one `presence_diff` listing
 * every join and leave, and are greeted with one `presence_state`, so a crowd
 * of n arriving costs about n frames per interval rather than n². Other
 * sessions get a `presence` frame per change, and a join per member as their
 * greeting, as the contract first had it. Past `countAbove` members, every
 * session gets a `presence_count` instead, at most once per countIntervalMs.
 */
export class PresenceFanout {
  private readonly counting = new Set<string>();
  /** Counting channels whose count changed since their last count. */
  private readonly changed = new Set<string>();
  /** When each counting channel last had its count sent (or began counting). */
  private readonly countedAt = new Map<string, number>();
  /** Changes per channel since the last send, in order, and when they are due to go. */
  private readonly gathered = new Map<string, { changes: Transition[]; due: number }>();
  /**
   * Each channel's `presence_state` as of its last send, for greetings: a
   * crowd's newcomers share one frame per interval instead of each having
   * everyone serialized again. What changed since reaches them in the next diff.
   */
  private readonly states = new Map<string, string>();
  private readonly timer: NodeJS.Timeout;
  private flushTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly registry: ChannelRegistry,
    private readonly view: PresenceView,
    private readonly countAbove: number,
  ) {
    this.timer = setInterval(() => this.tick(), COUNT_INTERVAL_MS);
  }

  apply(t: Transition): void {
    if (!this.counting.has(t.ch) && this.view.count(t.ch) > this.countAbove) {
      this.counting.add(t.ch);
      this.countedAt.set(t.ch, Date.now());
      this.gathered.delete(t.ch);
      this.states.delete(t.ch);
    }
    if (this.counting.has(t.ch)) {
      this.changed.add(t.ch);
      return;
    }
    let gathered = this.gathered.get(t.ch);
    if (!gathered) this.gathered.set(t.ch, (gathered = { changes: [], due: Date.now() + diffIntervalMs(this.view.count(t.ch)) }));
    gathered.changes.push(t);
    this.flushTimer ??= setTimeout(() => this.flush(), DIFF_INTERVAL_MS);
  }

  greet(ch: string, to: ChannelSubscriber): void {
    if (this.counting.has(ch) || this.view.count(ch) > this.countAbove) {
      to.deliverEphemeral('presence_count', countFrame(ch, this.view.count(ch)));
      return;
    }
    if (to.presenceDiff) to.deliverEphemeral('presence_state', this.stateOf(ch));
    else for (const m of this.view.members(ch)) to.deliverEphemeral('presence', presenceFrame(ch, 'join', m.member));
  }

  stop(): void {
    clearInterval(this.timer);
    clearTimeout(this.flushTimer);
  }

  private stateOf(ch: string): string {
    let frame = this.states.get(ch);
    if (frame === undefined) this.states.set(ch, (frame = stateFrame(ch, this.view)));
    return frame;
  }

  private flush(): void {
    this.flushTimer = undefined;
    const now = Date.now();
    for (const [ch, { changes, due }] of this.gathered) {
      if (due > now) continue;
      this.gathered.delete(ch);
      this.states.delete(ch);
      const perChange = () => changes.map((t) => presenceFrame(ch, t.event, t.member));
      this.registry.publishPresence(ch, perChange, { type: 'presence_diff', frame: diffFrame(ch, changes) });
    }
    if (this.gathered.size > 0) this.flushTimer = setTimeout(() => this.flush(), DIFF_INTERVAL_MS);
  }

  private tick(): void {
    const now = Date.now();
    for (const ch of this.changed) {
      // Paced by the channel's size when the count goes, so a crowd still arriving waits for the next round.
      if (now - (this.countedAt.get(ch) ?? 0) < countIntervalMs(this.view.count(ch))) continue;
      this.changed.delete(ch);
      this.sendCount(ch);
      this.countedAt.set(ch, now);
      if (this.view.count(ch) > this.countAbove) continue;
      // Back to a list: the count just sent voids what clients hold, and the members rebuild it.
      this.counting.delete(ch);
      this.countedAt.delete(ch);
      const joins = () => [...this.view.members(ch)].map((m) => presenceFrame(ch, 'join', m.member));
      this.registry.publishPresence(ch, joins, { type: 'presence_state', frame: stateFrame(ch, this.view) });
    }
  }

  private sendCount(ch: string): void {
    this.registry.publishEphemeral(ch, 'presence_count', countFrame(ch, this.view.count(ch)));
  }
}

const plain = (m: Member): Member => ({ id: m.id, name: m.name, role: m.role });

function presenceFrame(ch: string, event: 'join' | 'leave', member: Member): string {
  return JSON.stringify({ type: 'presence', ch, event, member: plain(member) } satisfies PresenceFrame);
}

function stateFrame(ch: string, view: PresenceView): string {
  return JSON.stringify({ type: 'presence_state', ch, members: [...view.members(ch)].map((m) => plain(m.member)) } satisfies PresenceStateFrame);
}

/** What changed over the interval: each person's first and last change tell whether they joined, left, or neither. */
function diffFrame(ch: string, changes: readonly Transition[]): string {
  const net = new Map<string, { first: Transition; last: Transition }>();
  for (const t of changes) {
    const seen = net.get(t.member.id);
    if (seen) seen.last = t;
    else net.set(t.member.id, { first: t, last: t });
  }
  const joins: Member[] = [];
  const leaves: Member[] = [];
  for (const { first, last } of net.values()) {
    // Joined and left within the interval: neither before nor after, nothing to tell.
    if (first.event === 'join' && last.event === 'leave') continue;
    if (last.event === 'join') joins.push(plain(last.member));
    else leaves.push(plain(last.member));
  }
  return JSON.stringify({ type: 'presence_diff', ch, joins, leaves } satisfies PresenceDiffFrame);
}

function countFrame(ch: string, count: number): string {
  return JSON.stringify({ type: 'presence_count', ch, count } satisfies PresenceCountFrame);
}
