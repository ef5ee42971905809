import { fail, isAnonymous, ok, type ChannelName, type Result, type User } from '../protocol/index.js';

/** What a deployment decides of the channel table. */
export interface AccessPolicy {
  /** Whether everyone may watch the hubs' figures (`ops:`), or admins only (HUB_OPS_PUBLIC). */
  opsPublic: boolean;
}

/** Who may subscribe to what: the channel table of docs/protocol.md. */
export function canSubscribe(user: User, ch: ChannelName, policy: AccessPolicy = { opsPublic: false }): Result<true> {
  switch (ch.kind) {
    case 'ops':
      if (user.role === 'admin' || (policy.opsPublic && user.role !== 'service')) return ok(true);
      return fail('forbidden', 'the hubs\' figures are for admins (HUB_OPS_PUBLIC=1 shows them to everyone)');
    case 'metrics':
    case 'metrics10s':
    case 'metrics1m':
    case 'room':
    case 'page':
    case 'doc':
      if (user.role === 'service') return fail('forbidden', `role service may not subscribe to ${ch.kind} channels`);
      return ok(true);
    case 'inbox':
      if (user.role === 'admin' || user.id === ch.name) return ok(true);
      return fail('forbidden', 'an inbox is readable only by its user');
    case 'status':
      if (isAnonymous(user)) return fail('forbidden', 'sign in to watch who is online');
      return ok(true);
  }
}

/** Who may publish from a client: players and admins to rooms, nobody elsewhere. */
export function canPublish(user: User, ch: ChannelName): Result<true> {
  if (ch.kind === 'room' && (user.role === 'player' || user.role === 'admin')) return ok(true);
  if (ch.kind === 'room') return fail('forbidden', `role ${user.role} may not publish to rooms`);
  // A reader publishes its awareness (where it is in the document); whether it may write is canWriteDoc's.
  if (ch.kind === 'doc') return canSubscribe(user, ch);
  return fail('forbidden', `clients may not publish to ${ch.kind} channels`);
}

/** Who may change a document (`doc:` updates): players and admins; viewers read. */
export function canWriteDoc(user: User): Result<true> {
  if (user.role === 'player' || user.role === 'admin') return ok(true);
  return fail('forbidden', `role ${user.role} may read documents, not write them`);
}
