import { Hono } from 'hono';
import type { Hub } from '../hub.js';
import { ROLLUPS_STREAM, ROOMS_STREAM } from '../bus/streams.js';
import { rollupSubject, rollupSubjects, seriesOfRollupSubject } from '../bus/subjects.js';
import { splitSeries } from '../ingest/sample.js';
import { matchesSearch, readSeriesSearch, type SeriesSearch } from './series-search.js';
import { authenticate, type AuthEnv } from './auth.js';
import { errorResponse } from './errors.js';
import { optionalInt, readableChannel } from './query.js';
import { ROOM_HISTORY_KINDS, type RoomHistoryKind } from '../rooms/room-channels.js';
import { HISTORY_MAX_LIMIT, fail, ok, parseRoomSubject, type ChannelList, type ChannelName, type Result, type Rollup } from '../protocol/index.js';
import { answerRange, readRangeQuery } from './history-range.js';
import type { Identity } from '../auth/identity.js';

export const HISTORY_DEFAULT_LIMIT = 100;
const CHANNELS_CACHE_MS = 1000;

/** The read side of the HTTP API: history and the list of channels. */
export function apiRoutes(hub: Hub, identity: Identity): Hono<AuthEnv> {
  const api = new Hono<AuthEnv>();
  api.use('*', authenticate(identity));

  api.get('/history', async (c) => {
    const asked = readableChannel(c.req.query('ch'), c.get('user'));
    if (!asked.ok) return errorResponse(c, asked.error);
    const ranged = readRangeQuery((name) => c.req.query(name), asked.value, Date.now());
    if (!ranged.ok) return errorResponse(c, ranged.error);
    const { ch, range } = ranged.value;
    if (range) return c.body(await answerRange(hub.rollupChannels[range.window], ch, range), 200, { 'content-type': 'application/json; charset=utf-8' });
    const since = optionalInt(c.req.query('since'), 'since', 0, Number.MAX_SAFE_INTEGER);
    const limit = optionalInt(c.req.query('limit'), 'limit', 1, HISTORY_MAX_LIMIT);
    if (!since.ok) return errorResponse(c, since.error);
    if (!limit.ok) return errorResponse(c, limit.error);
    const kind = roomKinds(c.req.query('kind'), ch);
    if (!kind.ok) return errorResponse(c, kind.error);
    const source = hub.sources[ch.kind];
    if (!source) return errorResponse(c, { code: 'not_found', message: `${ch.kind} channels are not served by this hub yet` });
    const want = limit.value ?? HISTORY_DEFAULT_LIMIT;
    const messages = kind.value ? await hub.rooms.history(ch, since.value, want, kind.value) : await source.history(ch, since.value, want);
    if (!messages.ok) return errorResponse(c, messages.error);
    // The frames are already serialized: join them instead of parsing and re-encoding.
    const body = `{"ch":${JSON.stringify(ch.ch)},"messages":[${messages.value.map((m) => m.frame.toString()).join(',')}]}`;
    return c.body(body, 200, { 'content-type': 'application/json; charset=utf-8' });
  });

  // Every open dashboard asks every few seconds: one stream-info request serves them all for a while.
  let channels: { at: number; list: Promise<{ list: ChannelList; body: string }> } | undefined;
  api.get('/channels', async (c) => {
    const search = readSeriesSearch(new URL(c.req.url).searchParams);
    if (!search.ok) return errorResponse(c, search.error);
    if (!channels || Date.now() - channels.at > CHANNELS_CACHE_MS) {
      const list = listChannels(hub).then((l) => ({ list: l, body: JSON.stringify(l) }));
      channels = { at: Date.now(), list };
      list.catch(() => (channels = undefined));
    }
    const all = await channels.list;
    if (!search.value) return c.body(all.body, 200, { 'content-type': 'application/json; charset=utf-8' });
    return c.json(await searchChannels(hub, all.list, search.value));
  });

  return api;
}

async function listChannels(hub: Hub): Promise<ChannelList> {
  const info = await hub.jsm.streams.info(ROLLUPS_STREAM, { subjects_filter: rollupSubjects('1s') });
  const metrics = Object.entries(info.state.subjects ?? {})
    .map(([subject, messages]) => ({ series: seriesOfRollupSubject('1s', subject), messages }))
    .sort((a, b) => (a.series < b.series ? -1 : a.series > b.series ? 1 : 0))
    .map(({ series, messages }) => ({ ch: `metrics:${series}`, series, ...splitSeries(series), messages }));
  const roomInfo = await hub.jsm.streams.info(ROOMS_STREAM, { subjects_filter: '>' });
  const rooms = [...new Set(Object.keys(roomInfo.state.subjects ?? {}).map((s) => parseRoomSubject(s)?.room))]
    .filter((room): room is string => room !== undefined)
    .sort()
    .map((room) => ({ ch: `room:${room}`, room }));
  return { metrics, rooms };
}

/** The series a search finds, at most its limit, each with its newest rollup when asked; rooms by the same prefix. */
async function searchChannels(hub: Hub, all: ChannelList, search: SeriesSearch): Promise<ChannelList> {
  const found = all.metrics.filter((m) => matchesSearch(m.series, search));
  const metrics = found.slice(0, search.limit).map((m) => ({ ...m }));
  if (search.last) {
    await Promise.all(
      metrics.map(async (m) => {
        const last = await hub.jsm.streams.getMessage(ROLLUPS_STREAM, { last_by_subj: rollupSubject('1s', m.series) }).catch(() => undefined);
        if (last) m.last = last.json<Rollup>();
      }),
    );
  }
  const rooms = search.tags.length > 0 ? [] : all.rooms.filter((r) => r.room.startsWith(search.prefix));
  return { metrics, rooms, ...(found.length > metrics.length && { more: found.length - metrics.length }) };
}

/** `kind=chat,event` narrows a room's history to those kinds (an extension: a room's patches far outnumber its chat). */
function roomKinds(raw: string | undefined, ch: ChannelName): Result<RoomHistoryKind[] | undefined> {
  if (!raw) return ok(undefined);
  if (ch.kind !== 'room') return fail('bad_request', 'kind applies to room channels only');
  const kinds = raw.split(',');
  const unknown = kinds.find((k) => !(ROOM_HISTORY_KINDS as readonly string[]).includes(k));
  if (unknown !== undefined) return fail('bad_request', `kind must be any of ${ROOM_HISTORY_KINDS.join(', ')}`);
  return ok(kinds as RoomHistoryKind[]);
}
