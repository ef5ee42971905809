import { fail, ok, type Result } from '../protocol/index.js';

/**
 * How far a partition's rollups are stored, and where a reader of the samples
 * stream must start to rebuild the windows still open. A new owner starts
 * reading at `replayFrom` and skips every window ending at or before
 * `closedThrough`, so it stores each remaining window once, counting every
 * sample, whichever hub stored the ones before.
 */
export interface Checkpoint {
  /** Every window ending at or before this (ms, a window boundary) is stored. */
  closedThrough: number;
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

const VERSION = 1;

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
  if (v !== VERSION) return fail('bad_request', `partition record version ${String(v).slice(0, 20)} is not ${VERSION}`);
  if (owner !== null && (typeof owner !== 'string' || owner.length === 0 || owner.length > 64)) return fail('bad_request', 'partition record owner must be a process id or null');
  if (!Number.isSafeInteger(closedThrough)) return fail('bad_request', 'closedThrough must be an integer');
  if (!Number.isSafeInteger(replayFrom) || (replayFrom as number) < 1) return fail('bad_request', 'replayFrom must be a stream seq');
  return ok({ owner: owner as string | null, closedThrough: closedThrough as number, replayFrom: replayFrom as number });
}
