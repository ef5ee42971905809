import type { Member, User } from '../protocol/index.js';

/** Where this hub writes its own entries: the presence bucket, shared by every hub. */
export interface PresenceWrites {
  put(ch: string, member: Member, sessions: number): void;
  remove(ch: string, userId: string): void;
}

interface Local {
  ch: string;
  member: Member;
  sessions: number;
  grace: NodeJS.Timeout | undefined;
}

/**
 * This hub's sessions per user per channel. A user whose last session here
 * ends stays present for the grace period, so a reconnect (to this hub or
 * another) within it announces neither a leave nor a join.
 */
export class LocalPresence {
  private readonly users = new Map<string, Local>();

  constructor(
    private readonly writes: PresenceWrites,
    private readonly graceMs: number,
  ) {}

  enter(ch: string, user: User): void {
    const key = keyOf(ch, user.id);
    let local = this.users.get(key);
    if (!local) {
      local = { ch, member: { id: user.id, name: user.name, role: user.role }, sessions: 0, grace: undefined };
      this.users.set(key, local);
    }
    clearTimeout(local.grace);
    local.grace = undefined;
    local.sessions++;
    this.writes.put(ch, local.member, local.sessions);
  }

  leave(ch: string, user: User): void {
    const key = keyOf(ch, user.id);
    const local = this.users.get(key);
    if (!local || local.sessions === 0) return;
    local.sessions--;
    this.writes.put(ch, local.member, local.sessions);
    if (local.sessions > 0) return;
    local.grace = setTimeout(() => {
      this.users.delete(key);
      this.writes.remove(ch, user.id);
    }, this.graceMs);
  }

  /** This hub's entry for the user, if it should exist: to write it again when someone else removed it. */
  entry(ch: string, userId: string): { member: Member; sessions: number } | undefined {
    return this.users.get(keyOf(ch, userId));
  }

  stop(): void {
    for (const local of this.users.values()) clearTimeout(local.grace);
  }
}

function keyOf(ch: string, userId: string): string {
  return `${ch}\n${userId}`;
}
