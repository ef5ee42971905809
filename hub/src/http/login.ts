import { randomBytes } from 'node:crypto';
import { Hono } from 'hono';
import type { Role, User } from '../protocol/index.js';
import { tokenOf, type Identity } from '../auth/identity.js';
import { errorResponse } from './errors.js';

const LOGIN_ROLES: readonly Role[] = ['viewer', 'player'];
const NAME = /^[\p{L}\p{N} _.'-]{1,40}$/u;

/**
 * `POST /api/login` mints a signed demo token for a name and the role viewer
 * or player. It exists only while anonymous access is on: it grants nothing an
 * anonymous visitor could not already get, except a name and a seat in a room.
 * Sent with a demo token this route minted, it keeps that person's id, so a
 * session can take the new role live (an `auth` frame) as the same person.
 */
export function loginRoute(identity: Identity, ttlSeconds: number, signedIn: (user: User) => void = () => undefined): Hono {
  const login = new Hono();
  login.post('/', async (c) => {
    let body: unknown;
    try {
      body = await c.req.json();
    } catch {
      return errorResponse(c, { code: 'bad_request', message: 'body must be JSON: {"name","role"}' });
    }
    const { name, role } = (body ?? {}) as Record<string, unknown>;
    const trimmed = typeof name === 'string' ? name.trim() : '';
    if (!NAME.test(trimmed)) return errorResponse(c, { code: 'bad_request', message: 'name must be 1 to 40 letters, digits, spaces or _ . \' -' });
    if (typeof role !== 'string' || !(LOGIN_ROLES as readonly string[]).includes(role)) {
      return errorResponse(c, { code: 'bad_request', message: 'role must be viewer or player' });
    }
    const user = { id: (await demoIdOf(identity, c.req.raw)) ?? `${DEMO_ID_PREFIX}${randomBytes(6).toString('hex')}`, name: trimmed, role: role as Role };
    const token = await identity.issue(user, ttlSeconds);
    signedIn(user);
    return c.json({ token, user, expiresAt: Date.now() + ttlSeconds * 1000 });
  });
  return login;
}

const DEMO_ID_PREFIX = 'user-';

/** The id of the demo token a request carries, if it carries one: only ids and roles this route gives out are kept. */
async function demoIdOf(identity: Identity, req: Request): Promise<string | undefined> {
  const token = tokenOf(new URL(req.url), req.headers.get('authorization') ?? undefined);
  if (!token) return undefined;
  const caller = await identity.authenticate(token);
  if (!caller.ok) return undefined;
  const { id, role } = caller.value.user;
  return id.startsWith(DEMO_ID_PREFIX) && LOGIN_ROLES.includes(role) ? id : undefined;
}
