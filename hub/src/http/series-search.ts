import { splitSeries } from '../ingest/sample.js';
import { CHANNEL_LAST_MAX, CHANNEL_SEARCH_DEFAULT_LIMIT, CHANNEL_SEARCH_MAX_LIMIT, fail, ok, type Result } from '../protocol/index.js';

/** A search of `GET /api/channels`: a name prefix, tags that must match, how many to list. */
export interface SeriesSearch {
  prefix: string;
  /** `[key, value]` must be the series' tag; `[key, undefined]` only that it has the key. */
  tags: Array<[string, string | undefined]>;
  limit: number;
  last: boolean;
}

/** The search a query asks for; undefined when it asks for none (every series, as version 1 listed them). */
export function readSeriesSearch(query: URLSearchParams): Result<SeriesSearch | undefined> {
  const prefix = query.get('q') ?? '';
  const tagTexts = query.getAll('tag');
  const limitText = query.get('limit');
  const last = query.get('last') === '1';
  if (!prefix && tagTexts.length === 0 && limitText === null && !last) return ok(undefined);
  if (prefix.length > 200) return fail('bad_request', 'q is at most 200 characters');
  if (tagTexts.length > 20) return fail('bad_request', 'at most 20 tag filters');
  const tags: Array<[string, string | undefined]> = [];
  for (const t of tagTexts) {
    const eq = t.indexOf('=');
    const key = eq < 0 ? t : t.slice(0, eq);
    if (!key) return fail('bad_request', 'a tag filter is key=value or key');
    tags.push([key, eq < 0 ? undefined : t.slice(eq + 1)]);
  }
  const limit = limitText === null ? CHANNEL_SEARCH_DEFAULT_LIMIT : Number(limitText);
  if (!Number.isInteger(limit) || limit < 1 || limit > CHANNEL_SEARCH_MAX_LIMIT) return fail('bad_request', `limit must be an integer from 1 to ${CHANNEL_SEARCH_MAX_LIMIT}`);
  if (last && limit > CHANNEL_LAST_MAX) return fail('bad_request', `last=1 lists at most ${CHANNEL_LAST_MAX} series: pass a smaller limit`);
  return ok({ prefix, tags, limit, last });
}

/** Whether `series` (`name,k=v,...`) is what the search looks for. */
export function matchesSearch(series: string, search: SeriesSearch): boolean {
  const { name, tags } = splitSeries(series);
  if (!name.startsWith(search.prefix)) return false;
  return search.tags.every(([k, v]) => (v === undefined ? k in tags : tags[k] === v));
}
