import { Hono } from 'hono';
import type { Hub } from '../hub.js';
import { authenticate, type AuthEnv } from './auth.js';
import { errorResponse } from './errors.js';
import type { Identity } from '../auth/identity.js';
import { optionalInt, readableChannel } from './query.js';
import { fail, isAnonymous, ok, type PresencePage, type Result, type User } from '../protocol/index.js';

/** A page holds at most this many members; a channel past it is read with `after`. */
export const PRESENCE_PAGE_MAX = 1_000;
/** People one status request may ask about. */
export const PRESENCE_USERS_MAX = 100;

/**
 * `GET /api/presence?ch=<ch>[&after=<id>][&limit=<n>]`: the channel's members
 * in id order with their session counts. docs/protocol.md's shape, extended with
 * `count` (all members) and `next` (the `after` of the following page).
 *
 * `GET /api/presence?users=<id>,<id>`: whether each person is online anywhere
 * and when they were last seen, for a signed-in caller.
 */
export function presenceRoutes(hub: Hub, identity: Identity): Hono<AuthEnv> {
  const api = new Hono<AuthEnv>();
  api.use('*', authenticate(identity));
  api.get('/', async (c) => {
    const users = c.req.query('users');
    if (users !== undefined) {
      const ids = readUserIds(users, c.get('user'));
      if (!ids.ok) return errorResponse(c, ids.error);
      const answers = await Promise.all(
        ids.value.map(async (id) => {
          const { online, lastSeen } = await hub.presence.status(id);
          return [id, { status: online ? 'online' : 'offline', lastSeen: lastSeen ?? null }] as const;
        }),
      );
      return c.json(Object.fromEntries(answers));
    }
    const ch = readableChannel(c.req.query('ch'), c.get('user'));
    if (!ch.ok) return errorResponse(c, ch.error);
    const limit = optionalInt(c.req.query('limit'), 'limit', 1, PRESENCE_PAGE_MAX);
    if (!limit.ok) return errorResponse(c, limit.error);
    const after = c.req.query('after') || undefined;
    const want = limit.value ?? PRESENCE_PAGE_MAX;
    const page = hub.presence.page(ch.value.ch, after, want + 1);
    const members = page.slice(0, want).map(({ member, sessions }) => ({ ...member, sessions }));
    const next = page.length > want ? members[members.length - 1]!.id : undefined;
    return c.json({ ch: ch.value.ch, count: hub.presence.count(ch.value.ch), members, ...(next !== undefined && { next }) } satisfies PresencePage);
  });
  return api;
}

/** The ids of `?users=`: at most PRESENCE_USERS_MAX distinct ones, for a caller who is not anonymous. */
function readUserIds(text: string, caller: User): Result<string[]> {
  if (isAnonymous(caller)) return fail('forbidden', 'sign in to ask who is online');
  const ids = [...new Set(text.split(',').map((id) => id.trim()).filter(Boolean))];
  if (ids.length === 0) return fail('bad_request', 'users must list one or more user ids, comma-separated');
  if (ids.length > PRESENCE_USERS_MAX) return fail('bad_request', `at most ${PRESENCE_USERS_MAX} users per request`);
  if (ids.some((id) => id.length > MAX_USER_ID_CHARS)) return fail('bad_request', `a user id is at most ${MAX_USER_ID_CHARS} characters`);
  return ok(ids);
}

const MAX_USER_ID_CHARS = 200;
