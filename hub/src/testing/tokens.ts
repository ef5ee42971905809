import { sign } from 'hono/jwt';
import type { Role } from '../protocol/index.js';

/** The HS256 secret every test hub runs with (startHubProcess sets it). */
export const TEST_JWT_SECRET = 'test-secret-do-not-use-in-production';

/** A signed client token for a test user, valid for ten minutes. */
export function testToken(role: Role, sub: string, name = sub): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  return sign({ sub, name, role, iat: now, exp: now + 600 }, TEST_JWT_SECRET, 'HS256');
}
