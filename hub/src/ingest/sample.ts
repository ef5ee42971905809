import { fail, ok, seriesKey, type Result, type Tags } from '../protocol/index.js';

/** One metric observation, ready for the rollups. */
export interface Sample {
  series: string;
  value: number;
  /** Milliseconds since the epoch. */
  ts: number;
}

export const MAX_SAMPLES_PER_PAYLOAD = 10_000;

/**
 * Reads a `metrics.<series>` payload: a JSON number, `{"value","ts"?,"tags"?}`,
 * or an array of those. The subject's series may carry tags itself
 * (`metrics.cpu,host=a`); tags in the payload are added to them.
 */
export function parseMetricPayload(subjectSeries: string, payload: string, now: number): Result<Sample[]> {
  const parsed = sampleItems(payload, 'payload', 'a number, {"value","ts"?,"tags"?}');
  if (!parsed.ok) return parsed;
  const items = parsed.value;
  const base = splitSeries(subjectSeries);
  const samples: Sample[] = [];
  for (const item of items) {
    const s = readSample(base.name, base.tags, item, now);
    if (!s.ok) return s;
    samples.push(s.value);
  }
  return ok(samples);
}

/** The samples of a JSON text holding one or an array (at most MAX_SAMPLES_PER_PAYLOAD), not yet read; `shape` says what one looks like. */
export function sampleItems(text: string, what: 'payload' | 'body', shape: string): Result<unknown[]> {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return fail('bad_request', `the ${what} is not JSON: expected ${shape} or an array of those`);
  }
  const items = Array.isArray(json) ? json : [json];
  if (items.length > MAX_SAMPLES_PER_PAYLOAD) return fail('too_large', `more than ${MAX_SAMPLES_PER_PAYLOAD} samples in one ${what}`);
  return ok(items);
}

/** One sample of `POST /api/ingest`'s JSON: `{"series","value","ts"?,"tags"?}`; the series may carry tags itself. */
export function readIngestSample(item: unknown, now: number): Result<Sample> {
  if (typeof item !== 'object' || item === null || Array.isArray(item)) return fail('bad_request', 'each sample must be {"series","value","ts"?,"tags"?}');
  const series = (item as Record<string, unknown>).series;
  if (typeof series !== 'string' || series === '') return fail('bad_request', 'series must be a non-empty string');
  const base = splitSeries(series);
  return readSample(base.name, base.tags, item, now);
}

function readSample(name: string, subjectTags: Tags, item: unknown, now: number): Result<Sample> {
  if (typeof item === 'number') return finite(item) ? sample(name, subjectTags, item, now) : fail('bad_request', 'value must be a finite number');
  if (typeof item !== 'object' || item === null || Array.isArray(item)) {
    return fail('bad_request', 'each sample must be a number or {"value","ts"?,"tags"?}');
  }
  const { value, ts, tags } = item as Record<string, unknown>;
  if (typeof value !== 'number' || !finite(value)) return fail('bad_request', 'value must be a finite number');
  if (ts !== undefined && (typeof ts !== 'number' || !Number.isFinite(ts) || ts <= 0)) {
    return fail('bad_request', 'ts must be milliseconds since the epoch');
  }
  let merged = subjectTags;
  if (tags !== undefined) {
    if (typeof tags !== 'object' || tags === null || Array.isArray(tags)) return fail('bad_request', 'tags must be an object of strings');
    merged = Object.assign(Object.create(null) as Tags, subjectTags);
    for (const [k, v] of Object.entries(tags)) {
      if (typeof v !== 'string') return fail('bad_request', `tag ${k.slice(0, 40)} must be a string`);
      merged[k] = v;
    }
  }
  return sample(name, merged, value, typeof ts === 'number' ? Math.floor(ts) : now);
}

function sample(name: string, tags: Tags, value: number, ts: number): Result<Sample> {
  const key = seriesKey(name, Object.keys(tags).length > 0 ? tags : undefined);
  if (!key.ok) return key;
  return ok({ series: key.value, value, ts });
}

/** `cpu,host=a,region=eu` into its name and tags. */
export function splitSeries(series: string): { name: string; tags: Tags } {
  const parts = series.split(',');
  const tags: Tags = Object.create(null) as Tags;
  for (const part of parts.slice(1)) {
    const eq = part.indexOf('=');
    tags[eq < 0 ? part : part.slice(0, eq)] = eq < 0 ? '' : part.slice(eq + 1);
  }
  return { name: parts[0]!, tags };
}

function finite(n: number): boolean {
  return Number.isFinite(n);
}
