import { Hono } from 'hono';
import type { Hub } from '../hub.js';
import type { Identity } from '../auth/identity.js';
import { isAnonymous, readAlertRuleInput } from '../protocol/index.js';
import { authenticate, type AuthEnv } from './auth.js';
import { errorResponse } from './errors.js';

/**
 * `/api/alerts`: a signed-in person's alert rules. Each notifies its owner
 * when it fires and when it resolves, through their inbox.
 */
export function alertRoutes(hub: Hub, identity: Identity): Hono<AuthEnv> {
  const api = new Hono<AuthEnv>();
  api.use('*', authenticate(identity));
  api.use('*', async (c, next) => {
    const user = c.get('user');
    if (user.role === 'service' || isAnonymous(user)) return errorResponse(c, { code: 'forbidden', message: 'alert rules notify a person: sign in first' });
    await next();
  });

  api.post('/', async (c) => {
    const input = readAlertRuleInput(await c.req.json<unknown>().catch(() => undefined));
    if (!input.ok) return errorResponse(c, input.error);
    const rule = await hub.alerts.create(c.get('user').id, input.value, Date.now());
    if (!rule.ok) return errorResponse(c, rule.error);
    return c.json(rule.value, 201);
  });

  api.get('/', (c) => c.json({ rules: hub.alerts.list(c.get('user').id) }));

  api.delete('/:id', async (c) => {
    const user = c.get('user');
    const done = await hub.alerts.delete(c.req.param('id'), { id: user.id, admin: user.role === 'admin' });
    if (!done.ok) return errorResponse(c, done.error);
    return c.json({ deleted: c.req.param('id') });
  });

  return api;
}
