/**
 * Keys of the presence bucket. KV keys allow only `[-/_=.A-Za-z0-9]`, and
 * channel names and user ids may hold `:` or `,`, so both travel base64url.
 *
 *   m.<hub>.<channel>.<user>   one hub's sessions of one user in one channel
 *   h.<hub>                    that hub's heartbeat
 */
export interface MemberAt {
  hub: string;
  ch: string;
  userId: string;
}

export type PresenceKey = ({ kind: 'member' } & MemberAt) | { kind: 'hub'; hub: string };

export function memberKey(hub: string, ch: string, userId: string): string {
  return `m.${hub}.${encode(ch)}.${encode(userId)}`;
}

export function hubKey(hub: string): string {
  return `h.${hub}`;
}

export function parseKey(key: string): PresenceKey | undefined {
  const parts = key.split('.');
  if (parts[0] === 'h' && parts.length === 2) return { kind: 'hub', hub: parts[1]! };
  if (parts[0] === 'm' && parts.length === 4) return { kind: 'member', hub: parts[1]!, ch: decode(parts[2]!), userId: decode(parts[3]!) };
  return undefined;
}

function encode(s: string): string {
  return Buffer.from(s, 'utf8').toString('base64url');
}

function decode(s: string): string {
  return Buffer.from(s, 'base64url').toString('utf8');
}
