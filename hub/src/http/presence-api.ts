import { Hono } from 'hono';
import type { Hub } from '../hub.js';
import { authenticate, type AuthEnv } from './auth.js';
import { errorResponse } from './errors.js';
import type { Identity } from '../auth/identity.js';
import { optionalInt, readableChannel } from './query.js';

/** A page holds at most this many members; a channel past it is read with `after`. */
export const PRESENCE_PAGE_MAX = 1_000;

/**
 * `GET /api/presence?ch=<ch>[&after=<id>][&limit=<n>]`: the channel's members
 * in id order with their session counts. docs/protocol.md's shape, extended with
 * `count` (all members) and `next` (the `after` of the following page).
 */
export function presenceRoutes(hub: Hub, identity: Identity): Hono<AuthEnv> {
  const api = new Hono<AuthEnv>();
  api.use('*', authenticate(identity));
  api.get('/', (c) => {
    const ch = readableChannel(c.req.query('ch'), c.get('user'));
    if (!ch.ok) return errorResponse(c, ch.error);
    const limit = optionalInt(c.req.query('limit'), 'limit', 1, PRESENCE_PAGE_MAX);
    if (!limit.ok) return errorResponse(c, limit.error);
    const after = c.req.query('after') || undefined;
    const want = limit.value ?? PRESENCE_PAGE_MAX;
    const page = hub.presence.page(ch.value.ch, after, want + 1);
    const members = page.slice(0, want).map(({ member, sessions }) => ({ ...member, sessions }));
    const next = page.length > want ? members[members.length - 1]!.id : undefined;
    return c.json({ ch: ch.value.ch, count: hub.presence.count(ch.value.ch), members, ...(next !== undefined && { next }) });
  });
  return api;
}
