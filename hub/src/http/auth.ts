import type { MiddlewareHandler } from 'hono';
import type { HttpBindings } from '@hono/node-server';
import type { User } from '../protocol/index.js';
import { tokenOf, type Identity } from '../auth/identity.js';
import { errorResponse } from './errors.js';

export type AuthEnv = { Bindings: HttpBindings; Variables: { user: User; expiresAt: number | undefined } };

/** Resolves the caller from its token (or as an anonymous viewer) and refuses everyone else with 401. */
export function authenticate(identity: Identity): MiddlewareHandler<AuthEnv> {
  return async (c, next) => {
    const result = await identity.authenticate(tokenOf(new URL(c.req.url), c.req.header('authorization')));
    if (!result.ok) return errorResponse(c, result.error);
    c.set('user', result.value.user);
    c.set('expiresAt', result.value.expiresAt);
    await next();
  };
}
