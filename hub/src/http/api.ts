import { Hono } from 'hono';
import { fail, ok, parseChannel, type ChannelName, type Result } from '../protocol/index.js';
import { canSubscribe } from '../session/permissions.js';
import type { Hub } from '../hub.js';
import { ROLLUPS_STREAM, ROLLUPS_SUBJECT_PREFIX } from '../bus/streams.js';
import { authenticate, type AuthEnv } from './auth.js';
import { errorResponse } from './errors.js';
import type { Identity } from '../auth/identity.js';

export const HISTORY_DEFAULT_LIMIT = 100;
export const HISTORY_MAX_LIMIT = 2000;
const CHANNELS_CACHE_MS = 1000;

/** The read side of the HTTP API: history and the list of channels. */
export function apiRoutes(hub: Hub, identity: Identity): Hono<AuthEnv> {
  const api = new Hono<AuthEnv>();
  api.use('*', authenticate(identity));

  api.get('/history', async (c) => {
    const ch = readableChannel(c.req.query('ch'), c.get('user'));
    if (!ch.ok) return errorResponse(c, ch.error);
    const since = optionalInt(c.req.query('since'), 'since', 0, Number.MAX_SAFE_INTEGER);
    const limit = optionalInt(c.req.query('limit'), 'limit', 1, HISTORY_MAX_LIMIT);
    if (!since.ok) return errorResponse(c, since.error);
    if (!limit.ok) return errorResponse(c, limit.error);
    const source = hub.sources[ch.value.kind];
    if (!source) return errorResponse(c, { code: 'not_found', message: `${ch.value.kind} channels are not served by this hub yet` });
    const messages = await source.history(ch.value, since.value, limit.value ?? HISTORY_DEFAULT_LIMIT);
    if (!messages.ok) return errorResponse(c, messages.error);
    // The frames are already serialized: join them instead of parsing and re-encoding.
    const body = `{"ch":${JSON.stringify(ch.value.ch)},"messages":[${messages.value.map((m) => m.frame.toString()).join(',')}]}`;
    return c.body(body, 200, { 'content-type': 'application/json; charset=utf-8' });
  });

  // Every open dashboard asks every few seconds: one stream-info request serves them all for a while.
  let channels: { at: number; body: Promise<string> } | undefined;
  api.get('/channels', async (c) => {
    if (!channels || Date.now() - channels.at > CHANNELS_CACHE_MS) {
      channels = { at: Date.now(), body: listChannels(hub) };
      channels.body.catch(() => (channels = undefined));
    }
    return c.body(await channels.body, 200, { 'content-type': 'application/json; charset=utf-8' });
  });

  return api;
}

async function listChannels(hub: Hub): Promise<string> {
  const info = await hub.jsm.streams.info(ROLLUPS_STREAM, { subjects_filter: `${ROLLUPS_SUBJECT_PREFIX}>` });
  const subjects = info.state.subjects ?? {};
  const metrics = Object.keys(subjects)
    .map((s) => s.slice(ROLLUPS_SUBJECT_PREFIX.length))
    .sort()
    .map((series) => ({ ch: `metrics:${series}`, series, messages: subjects[`${ROLLUPS_SUBJECT_PREFIX}${series}`] }));
  return JSON.stringify({ metrics, rooms: [] });
}

function readableChannel(raw: string | undefined, user: AuthEnv['Variables']['user']): Result<ChannelName> {
  if (!raw) return fail('bad_request', 'ch is required, like ?ch=metrics:cpu.usage');
  const ch = parseChannel(raw);
  if (!ch.ok) return ch;
  const allowed = canSubscribe(user, ch.value);
  return allowed.ok ? ch : allowed;
}

function optionalInt(raw: string | undefined, name: string, min: number, max: number): Result<number | undefined> {
  if (raw === undefined || raw === '') return ok(undefined);
  const n = Number(raw);
  if (!Number.isSafeInteger(n) || n < min || n > max) return fail('bad_request', `${name} must be an integer from ${min} to ${max}`);
  return ok(n);
}
