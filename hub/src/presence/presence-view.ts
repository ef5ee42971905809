import type { Member } from '../protocol/index.js';
import { parseKey } from './presence-keys.js';

export interface ChannelMember {
  member: Member;
  /** Open sessions per hub; a hub holding the user in grace reports 0. */
  hubs: Map<string, number>;
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
 */
export class PresenceView {
  private readonly channels = new Map<string, Map<string, ChannelMember>>();
  private readonly revisions = new Map<string, number>();

  /** A hub's entry for a user was written. A join when that user had no entry in the channel before. */
  put(key: string, revision: number, value: MemberEntry): Transition | undefined {
    const at = parseKey(key);
    if (at?.kind !== 'member') return undefined;
    this.revisions.set(key, revision);
    let members = this.channels.get(at.ch);
    if (!members) {
      members = new Map();
      this.channels.set(at.ch, members);
    }
    const known = members.get(at.userId);
    if (known) {
      known.hubs.set(at.hub, value.sessions);
      return undefined;
    }
    members.set(at.userId, { member: value.member, hubs: new Map([[at.hub, value.sessions]]) });
    return { ch: at.ch, event: 'join', member: value.member, revision };
  }

  /** A hub's entry went away. A leave when it was that user's last one in the channel. */
  remove(key: string, revision: number): Transition | undefined {
    const at = parseKey(key);
    if (at?.kind !== 'member') return undefined;
    this.revisions.delete(key);
    const members = this.channels.get(at.ch);
    const known = members?.get(at.userId);
    if (!members || !known || !known.hubs.delete(at.hub) || known.hubs.size > 0) return undefined;
    members.delete(at.userId);
    if (members.size === 0) this.channels.delete(at.ch);
    return { ch: at.ch, event: 'leave', member: known.member, revision };
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
      let sessions = 0;
      for (const n of m.hubs.values()) sessions += n;
      return { member: m.member, sessions };
    });
  }

  /** The entries a hub wrote, with the revision a compare-and-set delete must name. */
  entriesOf(hub: string): Array<{ key: string; revision: number }> {
    const out: Array<{ key: string; revision: number }> = [];
    for (const [key, revision] of this.revisions) if (parseKey(key)?.hub === hub) out.push({ key, revision });
    return out;
  }

}
