/**
 * InfluxDB line protocol, decoded as InfluxData's reference decoder
 * (github.com/influxdata/line-protocol, v2) decodes it, byte for byte: the
 * same points where it finds points, an error where it finds one. Its corpus
 * (../shared/conformance) checks this in line-protocol.test.ts.
 *
 *   measurement[,tag=value...] field=value[,field=value...] [timestamp]
 *
 * Each line is a point or an error of its own: a bad line does not spoil the
 * others (a string field may span lines; a line ends at a newline outside
 * one).
 */

export type Precision = 'ns' | 'us' | 'ms' | 's' | 'm' | 'h';

export type FieldValue =
  | { kind: 'float'; value: number }
  | { kind: 'int'; value: bigint }
  | { kind: 'uint'; value: bigint }
  | { kind: 'bool'; value: boolean }
  | { kind: 'string'; value: string };

export interface LinePoint {
  measurement: string;
  /** Sorted by key, each key once. */
  tags: Array<[string, string]>;
  /** In the order written; a key may repeat. */
  fields: Array<[string, FieldValue]>;
  /** Nanoseconds since the Unix epoch. */
  timeNs: bigint;
  /** The line the point starts on, from 1. */
  line: number;
}

export interface LineError {
  line: number;
  column: number;
  message: string;
}

export interface Decoded {
  points: LinePoint[];
  errors: LineError[];
}

const NS_PER: Record<Precision, bigint> = { ns: 1n, us: 1_000n, ms: 1_000_000n, s: 1_000_000_000n, m: 60_000_000_000n, h: 3_600_000_000_000n };
const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;
const UINT64_MAX = 2n ** 64n - 1n;

/** A set of bytes, as a 256-entry table. */
function bytes(test: (c: number) => boolean): Uint8Array {
  const t = new Uint8Array(256);
  for (let c = 0; c < 256; c++) t[c] = test(c) ? 1 : 0;
  return t;
}
const isNonPrintable = (c: number) => c < 32 || c === 0x7f;
const SPACE = 0x20;
const CR = 0x0d;
const LF = 0x0a;
const COMMA = 0x2c;
const EQUALS = 0x3d;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const HASH = 0x23;

const MEASUREMENT = bytes((c) => c !== COMMA && c !== SPACE && !isNonPrintable(c));
const KEY = bytes((c) => c !== COMMA && c !== EQUALS && c !== SPACE && !isNonPrintable(c));
/** A tag value may hold control characters other than line ends, as the reference decoder allows. */
const TAG_VALUE = bytes((c) => c !== COMMA && c !== EQUALS && c !== SPACE && c !== CR && c !== LF);
const STRING = bytes((c) => c !== QUOTE);
const VALUE = bytes((c) => c !== COMMA && c !== SPACE && c !== CR && c !== LF);
const TIME = bytes((c) => c === 0x2d || (c >= 0x30 && c <= 0x39));
const COMMENT = bytes((c) => !isNonPrintable(c));
const WHITESPACE = bytes((c) => c === SPACE || c === CR || c === LF);

/** What follows a backslash and what it stands for; a backslash before anything else is itself. */
const escapes = (pairs: Record<string, string>) => {
  const t = new Uint8Array(256);
  for (const [after, means] of Object.entries(pairs)) t[after.charCodeAt(0)] = means.charCodeAt(0);
  return t;
};
const MEASUREMENT_ESCAPES = escapes({ ' ': ' ', ',': ',' });
const KEY_ESCAPES = escapes({ ' ': ' ', ',': ',', '=': '=' });
/** Only these two: `\n` in a string is a backslash and an n, as in InfluxDB. */
const STRING_ESCAPES = escapes({ '\\': '\\', '"': '"' });

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

class SyntaxError_ extends Error {
  constructor(
    readonly at: number,
    message: string,
  ) {
    super(message);
  }
}

/** Decodes every line of `input`; `defaultTimeNs` stamps points without a timestamp. */
export function decodeLineProtocol(input: Uint8Array | string, opts: { precision?: Precision; defaultTimeNs: bigint }): Decoded {
  const b = typeof input === 'string' ? new TextEncoder().encode(input) : input;
  return new LineDecoder(b, NS_PER[opts.precision ?? 'ns'], opts.defaultTimeNs).decode();
}

class LineDecoder {
  private i = 0;
  private line = 1;
  /** Where the current line starts, for columns. */
  private lineStart = 0;
  /** Whether the point being read has taken its line's end: after an error there, nothing is left to skip. */
  private lineEnded = false;

  constructor(
    private readonly b: Uint8Array,
    private readonly nsPer: bigint,
    private readonly defaultTimeNs: bigint,
  ) {}

  decode(): Decoded {
    const out: Decoded = { points: [], errors: [] };
    for (;;) {
      this.skipEmptyLines();
      if (this.i >= this.b.length) return out;
      const line = this.line;
      const lineStart = this.lineStart;
      this.lineEnded = false;
      try {
        out.points.push({ ...this.point(), line });
      } catch (err) {
        if (!(err instanceof SyntaxError_)) throw err;
        out.errors.push({ line, column: this.columnOf(err.at, lineStart), message: err.message });
        if (!this.lineEnded) this.skipLine();
      }
    }
  }

  private point(): Omit<LinePoint, 'line'> {
    const start = this.i;
    const measurement = this.takeEscaped(MEASUREMENT, MEASUREMENT_ESCAPES);
    if (measurement.length === 0) {
      throw this.error(start, this.i >= this.b.length ? 'no measurement name found' : `invalid character ${this.show(this.i)} at start of measurement name`);
    }
    if (measurement[0] === '#') throw this.error(start, 'invalid character found in comment line');
    this.tagComma();

    const tags: Array<[string, string]> = [];
    while (this.b[this.i] !== SPACE) {
      const at = this.i;
      const key = this.takeEscaped(KEY, KEY_ESCAPES);
      if (key.length === 0 || this.b[this.i] !== EQUALS) {
        if (this.i >= this.b.length) throw this.error(at, key ? `expected '=' after tag key ${JSON.stringify(key)}, found end of input` : 'expected tag key or field, found end of input');
        if (key) throw this.error(at, `expected '=' after tag key ${JSON.stringify(key)}, found ${this.show(this.i)}`);
        throw this.error(at, this.b[this.i] === EQUALS ? 'empty tag key' : `expected tag key or field, found ${this.show(this.i)}`);
      }
      this.i++;
      const value = this.takeEscaped(TAG_VALUE, KEY_ESCAPES);
      if (value.length === 0) throw this.error(at, `expected tag value after tag key ${JSON.stringify(key)}, found none`);
      tags.push([key, value]);
      if (this.i >= this.b.length) throw this.error(this.i, 'expected a field, found end of input');
      this.tagComma();
    }
    this.skipSpaces();
    tags.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    for (let t = 1; t < tags.length; t++) if (tags[t - 1]![0] === tags[t]![0]) throw this.error(start, `duplicate tag key ${JSON.stringify(tags[t]![0])}`);

    const fields: Array<[string, FieldValue]> = [];
    for (;;) {
      fields.push(this.field());
      if (this.i >= this.b.length) return { measurement, tags, fields, timeNs: this.defaultTime() };
      const next = this.b[this.i]!;
      if (next === COMMA) {
        this.i++;
        continue;
      }
      if (!WHITESPACE[next]) throw this.error(this.i, `unexpected character ${this.show(this.i)} after field ${JSON.stringify(fields.at(-1)![0])}`);
      this.skipSpaces();
      if (this.endOfLine()) return { measurement, tags, fields, timeNs: this.defaultTime() };
      return { measurement, tags, fields, timeNs: this.time() };
    }
  }

  private field(): [string, FieldValue] {
    const at = this.i;
    const key = this.takeEscaped(KEY, KEY_ESCAPES);
    if (key.length === 0) throw this.error(at, this.i >= this.b.length ? 'expected field key, found none' : `invalid character ${this.show(this.i)} at start of field key`);
    if (this.b[this.i] !== EQUALS) throw this.error(this.i, `want '=' after field key ${JSON.stringify(key)}, found ${this.i >= this.b.length ? 'end of input' : this.show(this.i)}`);
    this.i++;
    const valueAt = this.i;
    if (this.i >= this.b.length) throw this.error(this.i, `expected value for field ${JSON.stringify(key)}, found end of input`);
    const first = this.b[this.i]!;
    if (first === QUOTE) {
      this.i++;
      const text = this.takeEscaped(STRING, STRING_ESCAPES);
      if (this.b[this.i] !== QUOTE) throw this.error(valueAt, `expected closing quote for string field ${JSON.stringify(key)}, found end of input`);
      this.i++;
      return [key, { kind: 'string', value: text }];
    }
    if (first === SPACE || first === COMMA) throw this.error(this.i, `missing value for field ${JSON.stringify(key)}`);
    const raw = this.latin1(this.take(VALUE));
    const value = fieldValue(first, raw);
    if (typeof value === 'string') throw this.error(valueAt, `cannot parse value for field ${JSON.stringify(key)}: ${value}`);
    return [key, value];
  }

  private time(): bigint {
    const at = this.i;
    const digits = this.latin1(this.take(TIME));
    if (this.i < this.b.length) {
      if (!WHITESPACE[this.b[this.i]!]) throw this.error(at, `invalid timestamp ${JSON.stringify(digits + this.latin1(this.b.subarray(this.i, this.i + 16)))}`);
      this.skipSpaces();
      if (!this.endOfLine()) throw this.error(this.i, 'unexpected text after timestamp');
    }
    if (digits === '') return this.defaultTime();
    if (!/^-?\d+$/.test(digits)) throw this.error(at, `invalid timestamp ${JSON.stringify(digits)}`);
    const t = BigInt(digits);
    const ns = t * this.nsPer;
    if (t < INT64_MIN || t > INT64_MAX || ns < INT64_MIN || ns > INT64_MAX) throw this.error(at, `timestamp ${digits} is out of range`);
    return ns;
  }

  private defaultTime(): bigint {
    const mod = ((this.defaultTimeNs % this.nsPer) + this.nsPer) % this.nsPer;
    return this.defaultTimeNs - mod;
  }

  /** A comma after the measurement or a tag: a tag key must follow it. */
  private tagComma(): void {
    if (this.b[this.i] !== COMMA) return;
    this.i++;
    if (this.i >= this.b.length) throw this.error(this.i, 'expected tag key after comma, found end of input');
    if (WHITESPACE[this.b[this.i]!]) throw this.error(this.i, 'expected tag key after comma, found white space');
  }

  /** Blank lines, comment lines and leading spaces. */
  private skipEmptyLines(): void {
    for (;;) {
      const lineAt = this.i;
      this.skipSpaces();
      const c = this.b[this.i];
      if (c === HASH) {
        this.take(COMMENT);
        if (!this.endOfLine()) {
          this.i = lineAt;
          return;
        }
      } else if (c === LF || c === CR) {
        if (!this.endOfLine()) return;
      } else return;
    }
  }

  /** Takes a newline (LF or CR LF), or the end of input; a CR at the very end counts too. */
  private endOfLine(): boolean {
    if (this.i >= this.b.length) return true;
    const c = this.b[this.i];
    if (c === LF) {
      this.newLine(this.i + 1);
      return true;
    }
    if (c === CR) {
      if (this.i + 1 >= this.b.length) {
        this.i++;
        this.lineEnded = true;
        return true;
      }
      if (this.b[this.i + 1] === LF) {
        this.newLine(this.i + 2);
        return true;
      }
    }
    return false;
  }

  /** After an error: on past the next newline (or to the end). */
  private skipLine(): void {
    while (this.i < this.b.length && this.b[this.i] !== LF) this.i++;
    if (this.i < this.b.length) this.newLine(this.i + 1);
  }

  private newLine(next: number): void {
    this.lineEnded = true;
    this.i = next;
    this.line++;
    this.lineStart = next;
  }

  private skipSpaces(): void {
    while (this.b[this.i] === SPACE) this.i++;
  }

  private take(set: Uint8Array): Uint8Array {
    const start = this.i;
    while (this.i < this.b.length && set[this.b[this.i]!]) this.i++;
    return this.b.subarray(start, this.i);
  }

  /**
   * A token of `set` bytes, where a backslash before a byte of `table` stands
   * for that byte (which then ends nothing) and any other backslash is
   * itself. Tokens must be UTF-8.
   */
  private takeEscaped(set: Uint8Array, table: Uint8Array): string {
    const start = this.i;
    let plain = true;
    const b = this.b;
    while (this.i < b.length) {
      const c = b[this.i]!;
      if (c === BACKSLASH) {
        if (this.i + 1 >= b.length) {
          this.i = b.length;
          break;
        }
        if (table[b[this.i + 1]!]) {
          plain = false;
          this.i += 2;
          continue;
        }
        this.i++;
        continue;
      }
      if (!set[c]) break;
      this.i++;
    }
    const raw = b.subarray(start, this.i);
    const unescaped = plain ? raw : unescape(raw, table);
    for (let k = start; k < this.i; k++) if (b[k] === LF) this.newLineInside(k);
    try {
      return utf8.decode(unescaped);
    } catch {
      throw this.error(start, 'invalid UTF-8 in token');
    }
  }

  /** A newline inside a token (a string field): counted, for the lines after it. */
  private newLineInside(at: number): void {
    this.line++;
    this.lineStart = at + 1;
  }

  private error(at: number, message: string): SyntaxError_ {
    return new SyntaxError_(at, message);
  }

  private columnOf(at: number, lineStart: number): number {
    let from = lineStart;
    for (let k = lineStart; k < at && k < this.b.length; k++) if (this.b[k] === LF) from = k + 1;
    return at - from + 1;
  }

  private show(at: number): string {
    return JSON.stringify(String.fromCharCode(this.b[at]!));
  }

  private latin1(raw: Uint8Array): string {
    let s = '';
    for (const c of raw) s += String.fromCharCode(c);
    return s;
  }
}

function unescape(raw: Uint8Array, table: Uint8Array): Uint8Array {
  const out = new Uint8Array(raw.length);
  let n = 0;
  for (let k = 0; k < raw.length; k++) {
    const c = raw[k]!;
    const means = c === BACKSLASH && k + 1 < raw.length ? table[raw[k + 1]!]! : 0;
    if (means) {
      out[n++] = means;
      k++;
    } else out[n++] = c;
  }
  return out.subarray(0, n);
}

/** A field's value from its text (first byte `first`), or why it is not one. */
function fieldValue(first: number, raw: string): FieldValue | string {
  const t = String.fromCharCode(first);
  if (t === 't' || t === 'T' || t === 'f' || t === 'F') {
    if (['t', 'T', 'true', 'True', 'TRUE'].includes(raw)) return { kind: 'bool', value: true };
    if (['f', 'F', 'false', 'False', 'FALSE'].includes(raw)) return { kind: 'bool', value: false };
    return `invalid bool value ${JSON.stringify(raw)}`;
  }
  if (t !== '-' && t !== '.' && !(first >= 0x30 && first <= 0x39)) return `value ${JSON.stringify(raw)} has unrecognized type`;
  const last = raw.at(-1);
  if (last === 'i') {
    const text = raw.slice(0, -1);
    if (!/^[+-]?\d+$/.test(text)) return 'invalid integer value syntax';
    const v = BigInt(text);
    return v < INT64_MIN || v > INT64_MAX ? 'integer out of range' : { kind: 'int', value: v };
  }
  if (last === 'u') {
    const text = raw.slice(0, -1);
    if (!/^\d+$/.test(text)) return 'invalid unsigned integer value syntax';
    const v = BigInt(text);
    return v > UINT64_MAX ? 'unsigned integer out of range' : { kind: 'uint', value: v };
  }
  const v = parseFloat64(raw);
  if (v === undefined) return 'invalid float value syntax';
  if (!Number.isFinite(v)) return `non-number ${JSON.stringify(raw)} cannot be a field value`;
  return { kind: 'float', value: v };
}

/**
 * A float as Go's strconv.ParseFloat reads one (the reference decoder uses
 * it): decimal with an optional exponent, or hexadecimal (`0x`) with a
 * required binary exponent (`p`), `_` allowed between digits. Infinity when
 * it overflows; undefined when it is not a number.
 */
export function parseFloat64(s: string): number | undefined {
  let i = 0;
  if (s[i] === '+' || s[i] === '-') i++;
  const hex = i + 2 < s.length && s[i] === '0' && (s[i + 1] === 'x' || s[i + 1] === 'X');
  if (hex) i += 2;
  const digit = hex ? /[0-9a-fA-F]/ : /[0-9]/;
  let mantissa = '';
  let fractionDigits = 0;
  let sawDot = false;
  let underscores = false;
  for (; i < s.length; i++) {
    const c = s[i]!;
    if (c === '_') underscores = true;
    else if (c === '.' && !sawDot) sawDot = true;
    else if (digit.test(c)) {
      mantissa += c;
      if (sawDot) fractionDigits++;
    } else break;
  }
  if (mantissa === '') return undefined;
  let exponent = 0;
  if (i < s.length && s[i]!.toLowerCase() === (hex ? 'p' : 'e')) {
    i++;
    let sign = 1;
    if (s[i] === '+') i++;
    else if (s[i] === '-') {
      sign = -1;
      i++;
    }
    if (!(s[i]! >= '0' && s[i]! <= '9')) return undefined;
    let text = '';
    for (; i < s.length && ((s[i]! >= '0' && s[i]! <= '9') || s[i] === '_'); i++) {
      if (s[i] === '_') underscores = true;
      else text += s[i];
    }
    exponent = sign * Number(text);
  } else if (hex) return undefined;
  if (i !== s.length || (underscores && !underscoresBetweenDigits(s))) return undefined;
  const negative = s[0] === '-';
  if (!hex) {
    const v = Number(`${mantissa.slice(0, mantissa.length - fractionDigits) || '0'}.${mantissa.slice(mantissa.length - fractionDigits)}e${exponent}`);
    return negative ? -v : v;
  }
  // Scaled in steps: 2 ** exp alone can overflow or underflow where the product would not.
  let v = Number(BigInt(`0x${mantissa}`));
  let exp = exponent - 4 * fractionDigits;
  while (exp !== 0 && v !== 0 && Number.isFinite(v)) {
    const step = Math.max(-1000, Math.min(1000, exp));
    v *= 2 ** step;
    exp -= step;
  }
  return negative ? -v : v;
}

/** Go's underscoreOK: an `_` only between digits, or between a base prefix and a digit. */
function underscoresBetweenDigits(text: string): boolean {
  let s = text;
  if (s[0] === '+' || s[0] === '-') s = s.slice(1);
  let saw = '^';
  let i = 0;
  let hex = false;
  if (s.length >= 2 && s[0] === '0' && 'box'.includes(s[1]!.toLowerCase())) {
    i = 2;
    saw = '0';
    hex = s[1]!.toLowerCase() === 'x';
  }
  for (; i < s.length; i++) {
    const c = s[i]!;
    if ((c >= '0' && c <= '9') || (hex && /[a-fA-F]/.test(c))) saw = '0';
    else if (c === '_') {
      if (saw !== '0') return false;
      saw = '_';
    } else {
      if (saw === '_') return false;
      saw = '!';
    }
  }
  return saw !== '_';
}
