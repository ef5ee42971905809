import { ROLLUP_WINDOWS, WINDOW_MS, fail, ok, type Result } from '../protocol/index.js';
import { marksThrough, type WindowMarks } from './aggregator.js';

/**
 * How far a partition's rollups are stored, and where a reader of the samples
 * stream must start to rebuild the windows still open, of every length. A
 * new owner starts reading at `replayFrom` and stores no window ending at or
 * before its length's `closedThrough`, so it stores each remaining window
 * once, counting every sample, whichever hub stored the ones before.
 */
export interface Checkpoint {
  /** Per window length, every window ending at or before this (ms, a boundary of that length) is stored. */
  closedThrough: WindowMarks;
  /** The samples stream's seq of the first message that fed a window not yet stored. */
  replayFrom: number;
}

/**
 * A partition's entry in the leases bucket: who rolls it up (none while it is
 * handed over) and its checkpoint, written together with compare-and-set on
 * the entry's revision, so two hubs never both believe they took it.
 */
export interface PartitionRecord extends Checkpoint {
  owner: string | null;
}

/** Version 1 held the one-second mark only, from before the longer windows. */
const VERSION = 2;

export function encodeRecord(r: PartitionRecord): string {
  return JSON.stringify({ v: VERSION, owner: r.owner, closedThrough: r.closedThrough, replayFrom: r.replayFrom });
}

/** Reads an entry of the bucket; anything else is refused rather than trusted. */
export function decodeRecord(bytes: Uint8Array): Result<PartitionRecord> {
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder().decode(bytes));
  } catch {
    return fail('bad_request', 'partition record is not JSON');
  }
  if (typeof json !== 'object' || json === null) return fail('bad_request', 'partition record is not an object');
  const { v, owner, closedThrough, replayFrom } = json as Record<string, unknown>;
  if (v !== VERSION && v !== 1) return fail('bad_request', `partition record version ${String(v).slice(0, 20)} is not ${VERSION}`);
  if (owner !== null && (typeof owner !== 'string' || owner.length === 0 || owner.length > 64)) return fail('bad_request', 'partition record owner must be a process id or null');
  if (!Number.isSafeInteger(replayFrom) || (replayFrom as number) < 1) return fail('bad_request', 'replayFrom must be a stream seq');
  const marks = v === 1 ? markOfVersion1(closedThrough) : readMarks(closedThrough);
  if (!marks.ok) return marks;
  return ok({ owner: owner as string | null, closedThrough: marks.value, replayFrom: replayFrom as number });
}

function readMarks(raw: unknown): Result<WindowMarks> {
  if (typeof raw !== 'object' || raw === null) return fail('bad_request', 'closedThrough must be an object of window marks');
  const marks = raw as Record<string, unknown>;
  for (const w of ROLLUP_WINDOWS) {
    const mark = marks[w];
    if (!Number.isSafeInteger(mark) || (mark as number) % WINDOW_MS[w] !== 0) return fail('bad_request', `closedThrough.${w} must be a ${w} boundary`);
  }
  return ok(marks as WindowMarks);
}

/** A version 1 record's longer windows were never stored; the ones it cut through are not stored short. */
function markOfVersion1(raw: unknown): Result<WindowMarks> {
  if (!Number.isSafeInteger(raw)) return fail('bad_request', 'closedThrough must be an integer');
  return ok(marksThrough(raw as number));
}
