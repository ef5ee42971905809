import { CLIENT_FRAME_TYPES, MAX_FRAME_BYTES, MAX_FRAME_DEPTH, MAX_REF_CHARS, MAX_TOKEN_CHARS, fail, nestsWithin, ok, type ClientFrame, type PulseError, type Ref, type Result } from '../protocol/index.js';

export interface FrameRejection {
  error: PulseError;
  /** The rejected frame's ref, when it had one worth echoing. */
  ref?: Ref;
}

export type FrameReading = { ok: true; frame: ClientFrame } | ({ ok: false } & FrameRejection);

/**
 * Reads one client frame: size, JSON, shape. Nothing here trusts the input;
 * whatever is wrong comes back as a contract error, never as an exception.
 */
export function parseClientFrame(raw: string): FrameReading {
  if (raw.length > MAX_FRAME_BYTES || Buffer.byteLength(raw) > MAX_FRAME_BYTES) return tooLarge();
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch {
    return { ok: false, error: { code: 'bad_request', message: 'frame is not valid JSON' } };
  }
  if (!nestsWithin(json, MAX_FRAME_DEPTH)) return tooDeep(json);
  return readClientFrame(json);
}

/**
 * Checks a frame that arrived already parsed (inside a command request's
 * JSON body): its encoded size, then its shape, as parseClientFrame would.
 */
export function readParsedClientFrame(json: unknown): FrameReading {
  if (!nestsWithin(json, MAX_FRAME_DEPTH)) return tooDeep(json);
  const text = JSON.stringify(json) ?? '';
  if (text.length > MAX_FRAME_BYTES || Buffer.byteLength(text) > MAX_FRAME_BYTES) return tooLarge();
  return readClientFrame(json);
}

function tooLarge(): FrameReading {
  return { ok: false, error: { code: 'too_large', message: `frame is larger than ${MAX_FRAME_BYTES} bytes` } };
}

function tooDeep(json: unknown): FrameReading {
  return { ok: false, error: { code: 'bad_request', message: `frame nests deeper than ${MAX_FRAME_DEPTH} levels` }, ref: refOf(json) };
}

/** The frame's ref where it is one worth echoing. */
function refOf(json: unknown): Ref | undefined {
  const ref = typeof json === 'object' && json !== null ? (json as { ref?: unknown }).ref : undefined;
  return isRef(ref) ? ref : undefined;
}

function readClientFrame(json: unknown): FrameReading {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    return { ok: false, error: { code: 'bad_request', message: 'frame must be a JSON object with a "type"' } };
  }
  const obj = json as Record<string, unknown>;
  const ref = refOf(obj);
  const checked = checkShape(obj, ref);
  if (!checked.ok) return { ok: false, error: checked.error, ref };
  return { ok: true, frame: checked.value };
}

function isRef(value: unknown): value is Ref {
  if (typeof value === 'string') return value.length <= MAX_REF_CHARS;
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}

function checkShape(obj: Record<string, unknown>, ref: Ref | undefined): Result<ClientFrame> {
  const { type } = obj;
  if (typeof type !== 'string' || !(CLIENT_FRAME_TYPES as readonly string[]).includes(type)) {
    return fail('bad_request', `unknown frame type ${JSON.stringify(String(type).slice(0, 40))}: expected one of ${CLIENT_FRAME_TYPES.join(', ')}`);
  }
  if (obj.ref !== undefined && ref === undefined) {
    return fail('bad_request', `ref must be a string of at most ${MAX_REF_CHARS} characters or a non-negative integer`);
  }
  switch (type) {
    case 'ping':
      return ok({ type: 'ping' });
    case 'subscribe': {
      if (typeof obj.ch !== 'string') return fail('bad_request', 'subscribe needs "ch"');
      const since = obj.since;
      if (since !== undefined && (typeof since !== 'number' || !Number.isSafeInteger(since) || since < 0)) {
        return fail('bad_request', 'since must be a non-negative integer seq');
      }
      return ok({ type: 'subscribe', ch: obj.ch, since: since as number | undefined, ref });
    }
    case 'unsubscribe':
      if (typeof obj.ch !== 'string') return fail('bad_request', 'unsubscribe needs "ch"');
      return ok({ type: 'unsubscribe', ch: obj.ch, ref });
    case 'auth':
      if (typeof obj.token !== 'string' || obj.token.length === 0 || obj.token.length > MAX_TOKEN_CHARS) {
        return fail('bad_request', `auth needs "token", a string of at most ${MAX_TOKEN_CHARS} characters`);
      }
      return ok({ type: 'auth', token: obj.token, ref });
    default:
      if (typeof obj.ch !== 'string') return fail('bad_request', 'publish needs "ch"');
      if (!('data' in obj)) return fail('bad_request', 'publish needs "data"');
      return ok({ type: 'publish', ch: obj.ch, data: obj.data, ref });
  }
}
