import { fail, ok, type Result } from './errors.js';

/**
 * A metric series key, named like an InfluxDB series key: `<name>` or
 * `<name>,<tag>=<value>,...` with tags sorted by key.
 */
export type Tags = Record<string, string>;

const PART = /^[A-Za-z0-9_.-]+$/;

/** Builds the canonical key; tags are sorted so one tag set has one name. */
export function seriesKey(name: string, tags?: Tags): Result<string> {
  if (!PART.test(name) || !dotsOk(name)) {
    return fail('bad_request', `metric name "${name.slice(0, 60)}" must match [A-Za-z0-9_.-]+ without empty dot segments`);
  }
  if (!tags) return ok(name);
  const keys = Object.keys(tags).sort();
  let key = name;
  for (const k of keys) {
    const v = tags[k];
    if (typeof v !== 'string' || !PART.test(k) || !PART.test(v)) {
      return fail('bad_request', `tag ${k.slice(0, 40)}=${String(v).slice(0, 40)} must use [A-Za-z0-9_.-]+`);
    }
    key += `,${k}=${v}`;
  }
  if (key.length > 200) return fail('bad_request', `series "${key.slice(0, 60)}…" is longer than 200 characters`);
  return ok(key);
}

/** The untagged series a tagged one rolls into as well (`cpu,host=a` feeds `cpu`). */
export function baseSeries(series: string): string {
  const comma = series.indexOf(',');
  return comma < 0 ? series : series.slice(0, comma);
}

// A NATS subject token may not be empty, so `a..b` or `.a` cannot travel as metrics.<series>.
function dotsOk(name: string): boolean {
  return !name.startsWith('.') && !name.endsWith('.') && !name.includes('..');
}
