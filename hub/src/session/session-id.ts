import { randomString } from '../auth/random-pool.js';

/**
 * A session id names the hub process that holds the session, so a request
 * for it that reaches another process (another hub behind a balancer, or
 * another HUB_WORKERS process) knows where to forward it without asking
 * anyone: `<process>.<secret>`. The secret part keeps the id unguessable, as
 * anonymous sessions rely on it.
 */

const SESSION_ID = /^([A-Za-z0-9_-]{1,32})\.[A-Za-z0-9_-]{1,64}$/;

/** A hub process's id: base64url, so it is one NATS subject token. */
export function newProcessId(): string {
  return randomString(8, 'base64url');
}

export function newSessionId(processId: string): string {
  return `${processId}.${randomString(12, 'base64url')}`;
}

/** The process holding a session, or undefined for an id that is not one of ours. */
export function processOfSession(id: string): string | undefined {
  return SESSION_ID.exec(id)?.[1];
}
