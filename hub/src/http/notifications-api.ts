import { Hono } from 'hono';
import type { Hub } from '../hub.js';
import type { Identity } from '../auth/identity.js';
import type { InboxStore } from '../inbox/inbox-store.js';
import { NOTIFICATIONS_PAGE_MAX, fail, ok, readNotificationInput, type Result, type User } from '../protocol/index.js';
import { authenticate, type AuthEnv } from './auth.js';
import { errorResponse } from './errors.js';
import { optionalInt } from './query.js';

/**
 * `/api/notifications`: services and admins send (`POST /`), and each person
 * reads their own inbox and marks it read; an admin may name another person
 * with `?user=`. Nobody else ever sees someone's notifications.
 */
export function notificationRoutes(hub: Hub, identity: Identity, store: InboxStore): Hono<AuthEnv> {
  const api = new Hono<AuthEnv>();
  api.use('*', authenticate(identity));

  api.post('/', async (c) => {
    const role = c.get('user').role;
    if (role !== 'service' && role !== 'admin') return errorResponse(c, { code: 'forbidden', message: 'sending notifications needs a token with role service or admin' });
    const body = await c.req.json<unknown>().catch(() => undefined);
    if (typeof body !== 'object' || body === null) return errorResponse(c, { code: 'bad_request', message: 'the body must be JSON {"user","title",...}' });
    const { user, ...rest } = body as Record<string, unknown>;
    if (typeof user !== 'string' || user.length === 0 || user.length > 200) return errorResponse(c, { code: 'bad_request', message: 'user must be the id of the person to notify' });
    const input = readNotificationInput(rest);
    if (!input.ok) return errorResponse(c, input.error);
    try {
      const sent = await store.send(user, input.value, Date.now());
      hub.countNotification('http');
      return c.json({ ...sent.notification, seq: sent.seq, duplicate: sent.duplicate }, sent.duplicate ? 200 : 201);
    } catch (err) {
      hub.log.warn('notify', `a notification was not stored: ${String(err)}`);
      return errorResponse(c, { code: 'overloaded', message: 'the notification could not be stored now; send it again (with a key, a retry is stored once)' });
    }
  });

  api.get('/', async (c) => {
    const whose = reader(c.get('user'), c.req.query('user'));
    if (!whose.ok) return errorResponse(c, whose.error);
    const limit = optionalInt(c.req.query('limit'), 'limit', 1, NOTIFICATIONS_PAGE_MAX);
    const before = optionalInt(c.req.query('before'), 'before', 1, Number.MAX_SAFE_INTEGER);
    if (!limit.ok) return errorResponse(c, limit.error);
    if (!before.ok) return errorResponse(c, before.error);
    return c.json(await store.list(whose.value, before.value, limit.value));
  });

  api.post('/read-all', async (c) => {
    const whose = reader(c.get('user'), c.req.query('user'));
    if (!whose.ok) return errorResponse(c, whose.error);
    const body = await c.req.json<unknown>().catch(() => undefined);
    const upTo = (body as { upTo?: unknown } | undefined)?.upTo;
    if (!Number.isSafeInteger(upTo) || (upTo as number) < 0) return errorResponse(c, { code: 'bad_request', message: 'the body must be {"upTo": <the seq of the newest notification seen>}' });
    const done = await store.markAllRead(whose.value, upTo as number);
    if (!done.ok) return errorResponse(c, done.error);
    return c.json({ upTo: done.value.upTo });
  });

  api.post('/:id/read', async (c) => {
    const whose = reader(c.get('user'), c.req.query('user'));
    if (!whose.ok) return errorResponse(c, whose.error);
    const id = c.req.param('id');
    if (id.length > 100) return errorResponse(c, { code: 'bad_request', message: 'no such notification id' });
    const seq = seqOf(await c.req.text());
    if (seq === null) return errorResponse(c, { code: 'bad_request', message: 'the body, when there is one, is {"seq": <the notification\'s seq>}' });
    const done = await store.markRead(whose.value, id, seq);
    if (!done.ok) return errorResponse(c, done.error);
    return c.json({ id, read: true });
  });

  return api;
}

/** The seq a mark-read body names: undefined without a body, null for a body that is not `{"seq": <positive integer>}`. */
function seqOf(body: string): number | undefined | null {
  if (!body) return undefined;
  let seq: unknown;
  try {
    seq = (JSON.parse(body) as { seq?: unknown } | null)?.seq;
  } catch {
    return null;
  }
  return Number.isSafeInteger(seq) && (seq as number) >= 1 ? (seq as number) : null;
}

/** Whose inbox the caller may read: their own, or anyone's for an admin. */
function reader(user: User, asked: string | undefined): Result<string> {
  if (user.role === 'service') return fail('forbidden', 'a service sends notifications; it has no inbox');
  if (asked === undefined || asked === user.id) return ok(user.id);
  if (user.role === 'admin') return ok(asked);
  return fail('forbidden', 'an inbox is readable only by its person and admins');
}
