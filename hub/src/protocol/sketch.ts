import { fail, ok, type Result } from './errors.js';
import { QUANTILE_RELATIVE_ACCURACY, type SketchData } from './rollup.js';

/**
 * DDSketch (Masson, Rim, Lee, VLDB 2019) with a logarithmic mapping: the
 * quantile it reports is within QUANTILE_RELATIVE_ACCURACY of the true one's
 * value, and two sketches merge exactly (the merged sketch is the sketch of
 * all the values), so a minute's p99 is as accurate as a second's.
 *
 * Written here rather than taken from @datadog/sketches-js: its merge drops
 * negative values, its bins are dense (a wide range costs every bin between),
 * and the rollups need a compact, versioned encoding other tools can read.
 */
const GAMMA = (1 + QUANTILE_RELATIVE_ACCURACY) / (1 - QUANTILE_RELATIVE_ACCURACY);
const MULTIPLIER = 1 / Math.log(GAMMA);
/** Subnormal doubles and zero: their logarithm is not worth a bin. */
const MIN_MAGNITUDE = 2.2250738585072014e-308;
/** Keys of every finite double of normal magnitude fit well inside this. */
const MAX_KEY = 40_000;
/** A sketch this wide is not one the hub wrote: 1% bins from 1e-9 to 1e12 take about 2,400. */
const MAX_BINS = 8_192;

/** Bucket `key` holds the magnitudes in (GAMMA^(key-1), GAMMA^key]. */
function keyOf(magnitude: number): number {
  return Math.ceil(Math.log(magnitude) * MULTIPLIER);
}

/** The bucket's value whose relative distance to anything in the bucket is at most the accuracy. */
function valueOf(key: number): number {
  return (2 * GAMMA ** key) / (GAMMA + 1);
}

export class Sketch {
  private readonly positive = new Map<number, number>();
  private readonly negative = new Map<number, number>();
  private zero = 0;
  private total = 0;

  get count(): number {
    return this.total;
  }

  add(value: number): void {
    this.addTo(value, 1);
  }

  merge(other: Sketch): void {
    for (const [key, n] of other.positive) this.positive.set(key, (this.positive.get(key) ?? 0) + n);
    for (const [key, n] of other.negative) this.negative.set(key, (this.negative.get(key) ?? 0) + n);
    this.zero += other.zero;
    this.total += other.total;
  }

  /** The value at quantile `q` (0 to 1) by rank, lower rank on ties as DDSketch defines; NaN when empty. */
  quantile(q: number): number {
    if (this.total === 0 || !(q >= 0 && q <= 1)) return NaN;
    const rank = q * (this.total - 1);
    let seen = 0;
    // Most negative first: the largest magnitudes of the negative side.
    for (const key of sortedKeys(this.negative).reverse()) {
      seen += this.negative.get(key)!;
      if (seen > rank) return -valueOf(key);
    }
    seen += this.zero;
    if (seen > rank) return 0;
    for (const key of sortedKeys(this.positive)) {
      seen += this.positive.get(key)!;
      if (seen > rank) return valueOf(key);
    }
    return NaN;
  }

  toData(): SketchData {
    return { zero: this.zero, pos: encodeBins(this.positive), neg: encodeBins(this.negative) };
  }

  /** Reads a sketch from a stored rollup; anything malformed is refused rather than merged. */
  static fromData(data: unknown): Result<Sketch> {
    if (typeof data !== 'object' || data === null || Array.isArray(data)) return fail('bad_request', 'sketch must be an object {zero,pos,neg}');
    const { zero, pos, neg } = data as Record<string, unknown>;
    if (!isCount(zero, true)) return fail('bad_request', 'sketch zero must be a non-negative integer');
    const s = new Sketch();
    s.zero = zero;
    s.total = zero;
    for (const [name, bins, into] of [['pos', pos, s.positive], ['neg', neg, s.negative]] as const) {
      const decoded = decodeBins(name, bins, into);
      if (!decoded.ok) return decoded;
      s.total += decoded.value;
    }
    if (!Number.isSafeInteger(s.total)) return fail('bad_request', 'sketch counts add up past 2^53');
    return ok(s);
  }

  private addTo(value: number, n: number): void {
    const magnitude = Math.abs(value);
    if (magnitude < MIN_MAGNITUDE) this.zero += n;
    else {
      const bins = value > 0 ? this.positive : this.negative;
      const key = keyOf(magnitude);
      bins.set(key, (bins.get(key) ?? 0) + n);
    }
    this.total += n;
  }
}

function sortedKeys(bins: Map<number, number>): number[] {
  return [...bins.keys()].sort((a, b) => a - b);
}

/** `[firstKey, count, keyStep, count, …]`, keys ascending: small integers, so short JSON. */
function encodeBins(bins: Map<number, number>): number[] {
  const out: number[] = [];
  let previous = 0;
  for (const key of sortedKeys(bins)) {
    out.push(out.length === 0 ? key : key - previous, bins.get(key)!);
    previous = key;
  }
  return out;
}

function decodeBins(name: string, bins: unknown, into: Map<number, number>): Result<number> {
  if (!Array.isArray(bins) || bins.length % 2 !== 0) return fail('bad_request', `sketch ${name} must be an array of [key, count] steps`);
  if (bins.length > 2 * MAX_BINS) return fail('bad_request', `sketch ${name} has more than ${MAX_BINS} bins`);
  let key = 0;
  let total = 0;
  for (let i = 0; i < bins.length; i += 2) {
    const step = bins[i] as unknown;
    const n = bins[i + 1] as unknown;
    if (!Number.isSafeInteger(step) || (i > 0 && (step as number) <= 0)) return fail('bad_request', `sketch ${name} keys must be integers, ascending`);
    key = i === 0 ? (step as number) : key + (step as number);
    if (Math.abs(key) > MAX_KEY) return fail('bad_request', `sketch ${name} key ${key} is out of range`);
    if (!isCount(n, false)) return fail('bad_request', `sketch ${name} counts must be positive integers`);
    into.set(key, n);
    total += n;
  }
  return ok(total);
}

function isCount(n: unknown, zeroOk: boolean): n is number {
  return Number.isSafeInteger(n) && ((n as number) > 0 || (zeroOk && n === 0));
}
