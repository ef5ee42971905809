import { seriesKey, type Tags } from '../protocol/index.js';
import type { FieldValue, LinePoint } from './line-protocol.js';
import type { Sample } from './sample.js';

/** Why a line, or one field of it, gave no sample. */
export interface LineRefusal {
  line: number;
  /** The field, when the rest of its line was taken. */
  field?: string;
  reason: string;
}

export interface LineSamples {
  samples: Sample[];
  /** Lines that gave at least one sample. */
  acceptedLines: number;
  /** Lines that gave none: every field refused, or the point itself. */
  failed: LineRefusal[];
  /** Fields refused on lines that gave other samples. */
  skipped: LineRefusal[];
}

const NS_PER_MS = 1_000_000n;

/**
 * One sample per numeric field of each point: the series is
 * `<measurement>.<field>` with the point's tags (the contract's naming), and
 * the time the point's, to the millisecond. Integers and unsigned integers
 * become numbers (exact up to 2^53), booleans 1 and 0. A string field is not
 * a number: it is refused with that reason, and so is a name the contract's
 * series cannot carry.
 */
export function samplesOfPoints(points: readonly LinePoint[]): LineSamples {
  const out: LineSamples = { samples: [], acceptedLines: 0, failed: [], skipped: [] };
  for (const p of points) {
    if (p.timeNs <= 0n) {
      out.failed.push({ line: p.line, reason: 'the timestamp is not after 1970-01-01' });
      continue;
    }
    const ts = Number(p.timeNs / NS_PER_MS);
    const tags: Tags | undefined = p.tags.length > 0 ? Object.fromEntries(p.tags) : undefined;
    const refused: LineRefusal[] = [];
    let taken = 0;
    for (const [field, value] of p.fields) {
      const n = numberOf(value);
      if (n === undefined) {
        refused.push({ line: p.line, field, reason: `field ${field} is a string, not a number` });
        continue;
      }
      const series = seriesKey(`${p.measurement}.${field}`, tags);
      if (!series.ok) {
        refused.push({ line: p.line, field, reason: series.error.message });
        continue;
      }
      out.samples.push({ series: series.value, value: n, ts });
      taken++;
    }
    if (taken > 0) {
      out.acceptedLines++;
      out.skipped.push(...refused);
    } else out.failed.push(refused.length === 1 ? { line: p.line, reason: refused[0]!.reason } : { line: p.line, reason: refused.map((r) => r.reason).join('; ') });
  }
  return out;
}

function numberOf(v: FieldValue): number | undefined {
  switch (v.kind) {
    case 'float':
      return v.value;
    case 'int':
    case 'uint':
      return Number(v.value);
    case 'bool':
      return v.value ? 1 : 0;
    case 'string':
      return undefined;
  }
}
