/**
 * The NATS subjects of a room (PROTOCOL.md). A room name with a dot would
 * span several subject tokens and match no game server's `rooms.*.…`
 * permission, so such rooms are refused rather than silently split.
 */
import { fail, ok, type Result } from '../protocol/index.js';

export type RoomPart = 'state' | 'events' | 'chat';

/** The parts the rooms stream keeps; input and presence ride core NATS only. */
export const STORED_PARTS: readonly RoomPart[] = ['state', 'events', 'chat'];

export function roomSubject(room: string, part: RoomPart | 'input' | 'presence'): string {
  return `rooms.${room}.${part}`;
}

/** Every stored part of a room at once, as one filter subject. */
export function roomSubjects(room: string): string {
  return `rooms.${room}.*`;
}

export function isSubjectSafeRoom(room: string): boolean {
  return !room.includes('.');
}

/** The room of a `room:` channel, when it can be a subject token. */
export function checkRoomName(room: string): Result<string> {
  return isSubjectSafeRoom(room) ? ok(room) : fail('bad_request', `room names are NATS subject tokens: "${room}" must not contain "."`);
}

/** `rooms.<room>.<part>` back to its room and part; undefined for anything else. */
export function parseRoomSubject(subject: string): { room: string; part: RoomPart } | undefined {
  const parts = subject.split('.');
  if (parts.length !== 3 || parts[0] !== 'rooms') return undefined;
  const part = parts[2] as RoomPart;
  return STORED_PARTS.includes(part) ? { room: parts[1]!, part } : undefined;
}
