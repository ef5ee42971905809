import * as decoding from 'lib0/decoding';
import * as encoding from 'lib0/encoding';
import * as Y from 'yjs';
import { fail, ok, type Result } from '../protocol/index.js';

/**
 * y-websocket's messages, as y-protocols writes them: a varUint message
 * type, then for `sync` a varUint step and a varUint8Array (a state vector
 * or an update), for `awareness` a varUint8Array awareness update. Read and
 * written here without a Y.Doc, so a hub never holds a document's history
 * in memory to speak the protocol.
 */
const MESSAGE_SYNC = 0;
const MESSAGE_AWARENESS = 1;
const MESSAGE_AUTH = 2;
const MESSAGE_QUERY_AWARENESS = 3;
const SYNC_STEP1 = 0;
const SYNC_STEP2 = 1;
const SYNC_UPDATE = 2;
const PERMISSION_DENIED = 0;

export type YMessage =
  | { type: 'step1'; stateVector: Uint8Array }
  | { type: 'step2'; update: Uint8Array }
  | { type: 'update'; update: Uint8Array }
  | { type: 'awareness'; update: Uint8Array }
  | { type: 'query-awareness' };

export function readYMessage(data: Uint8Array): Result<YMessage> {
  try {
    const d = decoding.createDecoder(data);
    const type = decoding.readVarUint(d);
    if (type === MESSAGE_QUERY_AWARENESS) return ok({ type: 'query-awareness' });
    if (type === MESSAGE_AWARENESS) return ok({ type: 'awareness', update: decoding.readVarUint8Array(d) });
    if (type !== MESSAGE_SYNC) return fail('bad_request', `message type ${type} is not one y-websocket sends`);
    const step = decoding.readVarUint(d);
    const bytes = decoding.readVarUint8Array(d);
    if (step === SYNC_STEP1) return ok({ type: 'step1', stateVector: bytes });
    if (step === SYNC_STEP2) return ok({ type: 'step2', update: bytes });
    if (step === SYNC_UPDATE) return ok({ type: 'update', update: bytes });
    return fail('bad_request', `sync step ${step} is not one y-protocols defines`);
  } catch {
    return fail('bad_request', 'the message does not decode as y-protocols');
  }
}

function write(f: (e: encoding.Encoder) => void): Uint8Array {
  const e = encoding.createEncoder();
  f(e);
  return encoding.toUint8Array(e);
}

export function step1Message(stateVector: Uint8Array): Uint8Array {
  return write((e) => {
    encoding.writeVarUint(e, MESSAGE_SYNC);
    encoding.writeVarUint(e, SYNC_STEP1);
    encoding.writeVarUint8Array(e, stateVector);
  });
}

export function step2Message(update: Uint8Array): Uint8Array {
  return write((e) => {
    encoding.writeVarUint(e, MESSAGE_SYNC);
    encoding.writeVarUint(e, SYNC_STEP2);
    encoding.writeVarUint8Array(e, update);
  });
}

export function updateMessage(update: Uint8Array): Uint8Array {
  return write((e) => {
    encoding.writeVarUint(e, MESSAGE_SYNC);
    encoding.writeVarUint(e, SYNC_UPDATE);
    encoding.writeVarUint8Array(e, update);
  });
}

export function awarenessMessage(update: Uint8Array): Uint8Array {
  return write((e) => {
    encoding.writeVarUint(e, MESSAGE_AWARENESS);
    encoding.writeVarUint8Array(e, update);
  });
}

/** What y-websocket's client hands its `permissionDeniedHandler`: this connection may not write. */
export function permissionDeniedMessage(reason: string): Uint8Array {
  return write((e) => {
    encoding.writeVarUint(e, MESSAGE_AUTH);
    encoding.writeVarUint(e, PERMISSION_DENIED);
    encoding.writeVarString(e, reason);
  });
}

/** Whether `update` decodes as a Yjs update (v1): anything else is refused before it is stored. */
export function isYjsUpdate(update: Uint8Array): boolean {
  try {
    Y.decodeUpdate(update);
    return true;
  } catch {
    return false;
  }
}

/** An awareness update's entries: clients with their clock and state (null once they left). */
export interface AwarenessEntry {
  client: number;
  clock: number;
  state: string;
}

export function readAwareness(update: Uint8Array): Result<AwarenessEntry[]> {
  try {
    const d = decoding.createDecoder(update);
    const n = decoding.readVarUint(d);
    const out: AwarenessEntry[] = [];
    for (let i = 0; i < n; i++) out.push({ client: decoding.readVarUint(d), clock: decoding.readVarUint(d), state: decoding.readVarString(d) });
    return ok(out);
  } catch {
    return fail('bad_request', 'the awareness update does not decode');
  }
}

export function writeAwareness(entries: readonly AwarenessEntry[]): Uint8Array {
  return write((e) => {
    encoding.writeVarUint(e, entries.length);
    for (const a of entries) {
      encoding.writeVarUint(e, a.client);
      encoding.writeVarUint(e, a.clock);
      encoding.writeVarString(e, a.state);
    }
  });
}
