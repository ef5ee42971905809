import { isAnonymous, type User } from '../protocol/index.js';
import type { Session } from '../session/session.js';

/**
 * Whether a request may act on a session. A signed-in user must be the
 * session's user. An anonymous request gets a fresh identity every time, so
 * for anonymous sessions the unguessable session id is the credential.
 */
export function ownsSession(user: User, session: Session): boolean {
  if (user.id === session.user.id) return true;
  return isAnonymous(user) && isAnonymous(session.user);
}
