import { fail, MAX_ROOM_STATE_DEPTH, nestsWithin, ok, type Result } from '../protocol/index.js';
import type { Json } from '../protocol/merge-patch.js';
import type { StoredRoomPart } from '../bus/streams.js';

/** A game server's state publication: a full state or a merge patch over the last one. */
export type StateUpdate = { tick: number; state: Json } | { tick: number; patch: Json };

export interface RoomMessageData {
  /** The `data` of the room's `message` frame, as UTF-8 JSON. */
  data: Uint8Array;
  update?: StateUpdate;
}

const EVENT_PREFIX = Buffer.from('{"kind":"event","event":');
const SUFFIX = Buffer.from('}');

/**
 * Turns what the rooms stream holds into the `data` of a room message
 * (docs/protocol.md: `state`, `patch`, `event`, `chat`). Runs once per message per
 * hub, never per subscriber. A payload that is not what the contract says is
 * refused here, so no client ever receives a frame that is not JSON.
 */
export function readRoomMessage(part: StoredRoomPart, payload: Uint8Array): Result<RoomMessageData> {
  switch (part) {
    case 'state': {
      const update = readStateUpdate(payload);
      if (!update.ok) return update;
      const u = update.value;
      const data = 'state' in u ? { kind: 'state', tick: u.tick, state: u.state } : { kind: 'patch', tick: u.tick, patch: u.patch };
      return ok({ data: Buffer.from(JSON.stringify(data)), update: u });
    }
    case 'events':
      if (parseJson(payload) === undefined) return fail('bad_request', 'a room event must be JSON');
      return ok({ data: Buffer.concat([EVENT_PREFIX, payload, SUFFIX]) });
    case 'chat':
      // Written by the hub itself (rooms.*.chat is the hub's alone in nats.conf), already in its final form.
      return ok({ data: payload });
  }
}

function readStateUpdate(payload: Uint8Array): Result<StateUpdate> {
  const v = parseJson(payload);
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return fail('bad_request', 'room state must be {"tick","state"} or {"tick","patch"}');
  if (!nestsWithin(v, MAX_ROOM_STATE_DEPTH)) return fail('bad_request', `room state nests deeper than ${MAX_ROOM_STATE_DEPTH} levels`);
  const o = v as Record<string, Json>;
  if (typeof o.tick !== 'number' || !Number.isFinite(o.tick)) return fail('bad_request', 'room state needs a numeric "tick"');
  const hasState = 'state' in o;
  if (hasState === 'patch' in o) return fail('bad_request', 'room state carries exactly one of "state" and "patch"');
  return ok(hasState ? { tick: o.tick, state: o.state! } : { tick: o.tick, patch: o.patch! });
}

function parseJson(payload: Uint8Array): Json | undefined {
  try {
    return JSON.parse(Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength).toString('utf8')) as Json;
  } catch {
    return undefined;
  }
}
