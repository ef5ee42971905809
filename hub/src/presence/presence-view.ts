import type { Member } from '../protocol/index.js';
import { Tally } from '../stats/tally.js';
import { memberKey, type MemberAt } from './presence-keys.js';

export interface ChannelMember {
  member: Member;
  /** One entry per hub holding the user: usually one, so an array rather than a map. */
  hubs: HubEntry[];
}

interface HubEntry {
  hub: string;
  /** Open sessions on that hub; 0 while it holds the user in grace. */
  sessions: number;
  /** The bucket revision of the entry, which a compare-and-set delete must name. */
  revision: number;
}

export interface Transition {
  ch: string;
  event: 'join' | 'leave';
  member: Member;
  /** The bucket revision that caused it: every hub computes the same one. */
  revision: number;
}

export interface MemberEntry {
  member: Member;
  sessions: number;
}

/**
 * Who is present where, as every hub's entries in the presence bucket say.
 * Each hub builds the same view from the same ordered history of the bucket,
 * so each derives the same joins and leaves, tagged with the same revision.
 *
 * A hub holds one of these per person per channel, for every hub's people:
 * entries are kept to a few small objects, and bucket keys are rebuilt when
 * asked for rather than stored.
 */
export class PresenceView {
  private readonly channels = new Map<string, Map<string, ChannelMember>>();
  /** How many channels each present user is a member of. */
  private readonly userChannels = new Tally<string>();
  private memberCount = 0;

  /** Members over all channels (a user in a channel). */
  get size(): number {
    return this.memberCount;
  }

  /** A hub's entry for a user was written. A join when that user had no entry in the channel before. */
  put(at: MemberAt, revision: number, value: MemberEntry): Transition | undefined {
    let members = this.channels.get(at.ch);
    if (!members) {
      members = new Map();
      this.channels.set(at.ch, members);
    }
    const known = members.get(at.userId);
    if (known) {
      const entry = known.hubs.find((h) => h.hub === at.hub);
      if (entry) {
        entry.sessions = value.sessions;
        entry.revision = revision;
      } else {
        known.hubs.push({ hub: at.hub, sessions: value.sessions, revision });
      }
      return undefined;
    }
    members.set(value.member.id, { member: value.member, hubs: [{ hub: at.hub, sessions: value.sessions, revision }] });
    this.memberCount++;
    this.userChannels.add(at.userId);
    return { ch: at.ch, event: 'join', member: value.member, revision };
  }

  /** A hub's entry went away. A leave when it was that user's last one in the channel. */
  remove(at: MemberAt, revision: number): Transition | undefined {
    const members = this.channels.get(at.ch);
    const known = members?.get(at.userId);
    const i = known?.hubs.findIndex((h) => h.hub === at.hub) ?? -1;
    if (!members || !known || i < 0) return undefined;
    known.hubs.splice(i, 1);
    if (known.hubs.length > 0) return undefined;
    members.delete(at.userId);
    this.memberCount--;
    if (members.size === 0) this.channels.delete(at.ch);
    this.userChannels.remove(at.userId);
    return { ch: at.ch, event: 'leave', member: known.member, revision };
  }

  /** Whether the user is a member of any channel, on any hub. */
  isPresent(userId: string): boolean {
    return this.userChannels.has(userId);
  }

  /** How many channels the user is a member of. */
  channelsOf(userId: string): number {
    return this.userChannels.get(userId);
  }

  count(ch: string): number {
    return this.channels.get(ch)?.size ?? 0;
  }

  members(ch: string): IterableIterator<ChannelMember> {
    return (this.channels.get(ch) ?? new Map<string, ChannelMember>()).values();
  }

  /** Members with an id after `after`, in id order, at most `limit`. */
  page(ch: string, after: string | undefined, limit: number): Array<{ member: Member; sessions: number }> {
    const ids = [...(this.channels.get(ch)?.keys() ?? [])].filter((id) => after === undefined || id > after).sort();
    return ids.slice(0, limit).map((id) => {
      const m = this.channels.get(ch)!.get(id)!;
      return { member: m.member, sessions: m.hubs.reduce((n, h) => n + h.sessions, 0) };
    });
  }

  /** The entries a hub wrote, with the revision a compare-and-set delete must name. */
  entriesOf(hub: string): Array<{ key: string; revision: number }> {
    const out: Array<{ key: string; revision: number }> = [];
    for (const [ch, members] of this.channels) {
      for (const [userId, m] of members) {
        for (const h of m.hubs) if (h.hub === hub) out.push({ key: memberKey(hub, ch, userId), revision: h.revision });
      }
    }
    return out;
  }
}
