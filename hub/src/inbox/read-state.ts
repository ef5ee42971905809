import { fail, ok, type Result } from '../protocol/index.js';

/** Ids read one by one above `upTo` kept at most: a person's inbox holds about this many anyway. */
export const READ_IDS_MAX = 2_000;

/**
 * What one person has read: every notification whose seq is at most `upTo`
 * (a "mark all read" names the newest one its client had seen, so one that
 * arrived meanwhile has a larger seq and stays unread), and those read one
 * by one after it.
 */
export interface ReadState {
  upTo: number;
  ids: string[];
}

export const NOTHING_READ: ReadState = { upTo: 0, ids: [] };

const VERSION = 1;

export function isRead(state: ReadState, seq: number, id: string): boolean {
  return seq <= state.upTo || state.ids.includes(id);
}

export function withRead(state: ReadState, id: string): ReadState {
  if (state.ids.includes(id)) return state;
  return { upTo: state.upTo, ids: [...state.ids, id].slice(-READ_IDS_MAX) };
}

/** Everything up to `upTo` read; ids read one by one stay, as the ones at or below it are read either way and age out of the list. */
export function withReadUpTo(state: ReadState, upTo: number): ReadState {
  return upTo <= state.upTo ? state : { upTo, ids: state.ids };
}

export function encodeReadState(state: ReadState): string {
  return JSON.stringify({ v: VERSION, upTo: state.upTo, ids: state.ids });
}

/** Reads an entry of the bucket; anything else is refused rather than trusted. */
export function decodeReadState(bytes: Uint8Array): Result<ReadState> {
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder().decode(bytes));
  } catch {
    return fail('bad_request', 'read state is not JSON');
  }
  if (typeof json !== 'object' || json === null) return fail('bad_request', 'read state is not an object');
  const { v, upTo, ids } = json as Record<string, unknown>;
  if (v !== VERSION) return fail('bad_request', `read state version ${String(v).slice(0, 20)} is not ${VERSION}`);
  if (!Number.isSafeInteger(upTo) || (upTo as number) < 0) return fail('bad_request', 'upTo must be a stream seq');
  if (!Array.isArray(ids) || ids.length > READ_IDS_MAX || !ids.every((id) => typeof id === 'string' && id.length <= 100)) return fail('bad_request', 'ids must be notification ids');
  return ok({ upTo: upTo as number, ids: ids as string[] });
}
