import type { Member, User } from '../protocol/index.js';

/** Where this hub writes its own entries: the presence bucket, shared by every hub. */
export interface PresenceWrites {
  put(ch: string, member: Member, sessions: number): void;
  remove(ch: string, userId: string): void;
}

interface Local {
  member: Member;
  sessions: number;
  grace: NodeJS.Timeout | undefined;
}

/**
 * This hub's sessions per user per channel. A user whose last session here
 * ends stays present for the grace period, so a reconnect (to this hub or
 * another) within it announces neither a leave nor a join.
 *
 * Every entry is written to the bucket and held by every hub's view, so their
 * number is capped: past `maxEntries` (those in grace included) a new
 * subscriber is not made present, and its subscription works all the same.
 */
export class LocalPresence {
  /** By channel, then by user id: no composite key string per entry. */
  private readonly channels = new Map<string, Map<string, Local>>();
  private entries = 0;

  constructor(
    private readonly writes: PresenceWrites,
    private readonly graceMs: number,
    private readonly maxEntries = Infinity,
  ) {}

  /** Entries this hub holds, those in grace included. */
  get size(): number {
    return this.entries;
  }

  /** Counts one more session of the user in the channel; false when that needs an entry past the cap. */
  enter(ch: string, user: User): boolean {
    let users = this.channels.get(ch);
    let local = users?.get(user.id);
    if (!local) {
      if (this.entries >= this.maxEntries) return false;
      if (!users) {
        users = new Map();
        this.channels.set(ch, users);
      }
      // A user is a member as it stands (Member is User): the first session's object serves every other.
      local = { member: user, sessions: 0, grace: undefined };
      users.set(user.id, local);
      this.entries++;
    }
    clearTimeout(local.grace);
    local.grace = undefined;
    local.sessions++;
    this.writes.put(ch, local.member, local.sessions);
    return true;
  }

  leave(ch: string, user: User): void {
    const local = this.channels.get(ch)?.get(user.id);
    if (!local || local.sessions === 0) return;
    local.sessions--;
    this.writes.put(ch, local.member, local.sessions);
    if (local.sessions > 0) return;
    local.grace = setTimeout(() => this.forget(ch, user.id), this.graceMs);
  }

  /** This hub's entry for the user, if it should exist: to write it again when someone else removed it. */
  entry(ch: string, userId: string): { member: Member; sessions: number } | undefined {
    return this.channels.get(ch)?.get(userId);
  }

  stop(): void {
    for (const users of this.channels.values()) for (const local of users.values()) clearTimeout(local.grace);
  }

  private forget(ch: string, userId: string): void {
    const users = this.channels.get(ch);
    if (users?.delete(userId)) this.entries--;
    if (users?.size === 0) this.channels.delete(ch);
    this.writes.remove(ch, userId);
  }
}
