import { Hono, type Context } from 'hono';
import type { Hub } from '../hub.js';
import type { Identity } from '../auth/identity.js';
import { decodeLineProtocol, type Precision } from '../ingest/line-protocol.js';
import { samplesOfPoints, type LineRefusal } from '../ingest/line-samples.js';
import { readIngestSample, sampleItems, type Sample } from '../ingest/sample.js';
import type { SampleWriter } from '../ingest/sample-writer.js';
import { fail, ok, type Result } from '../protocol/index.js';
import { authenticate, type AuthEnv } from './auth.js';
import { errorResponse } from './errors.js';

/** Refusals listed in one answer at most; `more` counts the rest. */
const LISTED = 100;
/** `precision=` as InfluxDB's write APIs take it (v2 names, and v1's `n` and `u`). */
const PRECISIONS: Record<string, Precision> = { ns: 'ns', n: 'ns', us: 'us', u: 'us', µs: 'us', ms: 'ms', s: 's', m: 'm', h: 'h' };

interface Refused {
  /** Line protocol: the line, from 1. */
  line?: number;
  /** JSON: the sample's place in the array, from 0. */
  index?: number;
  field?: string;
  reason: string;
}

/**
 * `POST /api/ingest`: samples over HTTP, as InfluxDB line protocol
 * (`text/plain`) or JSON (`application/json`), for a `service` or `admin`
 * token. Every line or sample is taken or refused on its own, and the answer
 * says which were refused and why; it is 400 when none was taken. Taken
 * samples are stored (JetStream acknowledged them) before the answer.
 */
export function ingestRoutes(hub: Hub, identity: Identity, writer: SampleWriter): Hono<AuthEnv> {
  const api = new Hono<AuthEnv>();
  api.use('*', authenticate(identity));

  api.post('/', async (c) => {
    const role = c.get('user').role;
    if (!hub.config.anonymousIngest && role !== 'service' && role !== 'admin') {
      return errorResponse(c, { code: 'forbidden', message: 'ingest needs a token with role service or admin' });
    }
    const type = (c.req.header('content-type') ?? 'text/plain').split(';')[0]!.trim().toLowerCase();
    const format = type === 'application/json' ? 'json' : type === 'text/plain' ? 'line' : undefined;
    if (!format) return errorResponse(c, { code: 'bad_request', message: 'Content-Type must be text/plain (InfluxDB line protocol) or application/json' });
    const now = Date.now();
    const read = format === 'line' ? readLines(new Uint8Array(await c.req.arrayBuffer()), c.req.query('precision'), now) : readJson(await c.req.text(), now);
    if (!read.ok) return errorResponse(c, read.error);
    const { samples, lines, failed, skipped } = read.value;
    if (samples.length === 0) {
      hub.countIngest(format, 0, failed.length, 0);
      return answer(c, 400, { error: { code: 'bad_request', message: failed.length > 0 ? 'nothing was taken: every line or sample was refused' : 'the body holds no samples' } }, 0, 0, failed, skipped);
    }
    let written;
    try {
      written = await writer.write(samples, now);
    } catch (err) {
      hub.log.warn('ingest', `samples not stored: ${String(err)}`);
      return errorResponse(c, { code: 'overloaded', message: 'the samples could not be stored now; send them again' });
    }
    hub.countIngest(format, samples.length, failed.length, written.restamped);
    return answer(c, 200, { restamped: written.restamped }, lines, samples.length, failed, skipped);
  });

  return api;
}

interface Read {
  samples: Sample[];
  /** Lines (or JSON samples) taken. */
  lines: number;
  failed: Refused[];
  skipped: Refused[];
}

function readLines(body: Uint8Array, precisionText: string | undefined, now: number): Result<Read> {
  const precision = precisionText === undefined ? 'ns' : PRECISIONS[precisionText];
  if (!precision) return fail('bad_request', `precision must be one of ${Object.keys(PRECISIONS).join(', ')}`);
  const decoded = decodeLineProtocol(body, { precision, defaultTimeNs: BigInt(now) * 1_000_000n });
  const found = samplesOfPoints(decoded.points);
  const failed: Refused[] = [...decoded.errors.map((e) => ({ line: e.line, reason: `column ${e.column}: ${e.message}` })), ...found.failed.map(refusal)].sort(
    (a, b) => a.line! - b.line!,
  );
  return ok({ samples: found.samples, lines: found.acceptedLines, failed, skipped: found.skipped.map(refusal) });
}

const refusal = (r: LineRefusal): Refused => ({ line: r.line, ...(r.field !== undefined && { field: r.field }), reason: r.reason });

function readJson(text: string, now: number): Result<Read> {
  const parsed = sampleItems(text, 'body', '{"series","value","ts"?,"tags"?}');
  if (!parsed.ok) return parsed;
  const out: Read = { samples: [], lines: 0, failed: [], skipped: [] };
  parsed.value.forEach((item, index) => {
    const s = readIngestSample(item, now);
    if (s.ok) out.samples.push(s.value);
    else out.failed.push({ index, reason: s.error.message });
  });
  out.lines = out.samples.length;
  return ok(out);
}

function answer(c: Context, status: 200 | 400, extra: object, accepted: number, samples: number, failed: Refused[], skipped: Refused[]): Response {
  const listed = (list: Refused[]) => (list.length > LISTED ? { list: list.slice(0, LISTED), more: list.length - LISTED } : { list, more: 0 });
  const f = listed(failed);
  const s = listed(skipped);
  return c.json(
    {
      ...extra,
      accepted,
      samples,
      failed: f.list,
      ...(f.more > 0 && { failedMore: f.more }),
      skipped: s.list,
      ...(s.more > 0 && { skippedMore: s.more }),
    },
    status,
  );
}
