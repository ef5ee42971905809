import { sign, verify } from 'hono/jwt';
import { randomString } from './random-pool.js';
import { ANONYMOUS_ID_PREFIX, fail, ok, type Result, type Role, type User } from '../protocol/index.js';

const ROLES: readonly Role[] = ['viewer', 'player', 'admin', 'service'];

/** Who a request or connection speaks for, and until when its token holds. */
export interface Caller {
  user: User;
  /** Milliseconds since the epoch; absent for anonymous viewers and tokens without `exp`. */
  expiresAt?: number;
}

export interface IdentityOptions {
  secret: string;
  allowAnonymous: boolean;
}

/**
 * Who is speaking: from a signed HS256 token, or, while anonymous access is
 * on, a generated viewer. Identity never comes from a frame.
 */
export class Identity {
  constructor(private readonly opts: IdentityOptions) {}

  get allowAnonymous(): boolean {
    return this.opts.allowAnonymous;
  }

  async authenticate(token: string | undefined): Promise<Result<Caller>> {
    if (!token) {
      if (this.opts.allowAnonymous) return ok({ user: anonymousViewer() });
      return fail('unauthorized', 'a token is required: pass ?token= or Authorization: Bearer');
    }
    let claims: Record<string, unknown>;
    try {
      claims = await verify(token, this.opts.secret, 'HS256');
    } catch (err) {
      return fail('unauthorized', `token refused: ${err instanceof Error ? err.name.replace(/^Jwt/, '') : 'invalid'}`);
    }
    const { sub, name, role, exp } = claims;
    if (typeof sub !== 'string' || sub.length === 0 || sub.length > 200) return fail('unauthorized', 'token has no valid sub');
    if (sub.startsWith(ANONYMOUS_ID_PREFIX)) return fail('unauthorized', `token sub may not start with ${ANONYMOUS_ID_PREFIX}`);
    if (typeof role !== 'string' || !(ROLES as readonly string[]).includes(role)) return fail('unauthorized', 'token has no valid role');
    const user: User = { id: sub, name: typeof name === 'string' && name ? name.slice(0, 100) : sub, role: role as Role };
    return ok({ user, ...(typeof exp === 'number' && { expiresAt: exp * 1000 }) });
  }

  /** Signs a token for a user, valid for `ttlSeconds`. */
  issue(user: User, ttlSeconds: number): Promise<string> {
    const now = Math.floor(Date.now() / 1000);
    return sign({ sub: user.id, name: user.name, role: user.role, iat: now, exp: now + ttlSeconds }, this.opts.secret, 'HS256');
  }
}

function anonymousViewer(): User {
  const tag = randomString(6, 'hex');
  return { id: `${ANONYMOUS_ID_PREFIX}${tag}`, name: `Anonymous ${tag.slice(0, 4)}`, role: 'viewer' };
}

/** The token of a request: `?token=` or `Authorization: Bearer`. */
export function tokenOf(url: URL, authorization: string | undefined): string | undefined {
  const q = url.searchParams.get('token');
  if (q) return q;
  const m = /^Bearer\s+(.+)$/i.exec(authorization ?? '');
  return m?.[1]?.trim();
}
