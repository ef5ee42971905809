import { fail, ok, parseChannel, type ChannelName, type Result } from '../protocol/index.js';
import { canSubscribe } from '../session/permissions.js';
import type { AuthEnv } from './auth.js';

/** Query parameters shared by the read routes, checked once. */
export function readableChannel(raw: string | undefined, user: AuthEnv['Variables']['user']): Result<ChannelName> {
  if (!raw) return fail('bad_request', 'ch is required, like ?ch=metrics:cpu.usage');
  const ch = parseChannel(raw);
  if (!ch.ok) return ch;
  const allowed = canSubscribe(user, ch.value);
  return allowed.ok ? ch : allowed;
}

export function optionalInt(raw: string | undefined, name: string, min: number, max: number): Result<number | undefined> {
  if (raw === undefined || raw === '') return ok(undefined);
  const n = Number(raw);
  if (!Number.isSafeInteger(n) || n < min || n > max) return fail('bad_request', `${name} must be an integer from ${min} to ${max}`);
  return ok(n);
}
