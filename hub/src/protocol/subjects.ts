/**
 * The NATS subjects of the contract (docs/protocol.md): what services and
 * game servers publish and listen to. Built and parsed only here, by the
 * hub, its demo publishers, the load tool and the tests alike.
 */
import { fail, ok, type Result } from './errors.js';

/** `metrics.<series>`: raw samples from services, a firehose on core NATS. */
export const METRICS_SUBJECTS = 'metrics.>';
const METRICS_PREFIX = 'metrics.';

/** InfluxDB line protocol, as Telegraf's NATS output sends it. */
export const INGEST_INFLUX_SUBJECT = 'ingest.influx';

export function metricsSubject(series: string): string {
  return METRICS_PREFIX + series;
}

/** The series of a `metrics.<series>` subject (tags included, as the publisher wrote them). */
export function seriesOfMetricsSubject(subject: string): string | undefined {
  return subject.startsWith(METRICS_PREFIX) ? subject.slice(METRICS_PREFIX.length) : undefined;
}

/** `notify.<userId>`: a notification for one person (as the `service` user, or `game`). */
export const NOTIFY_SUBJECTS = 'notify.*';
const NOTIFY_PREFIX = 'notify.';

export function notifySubject(user: string): string {
  return NOTIFY_PREFIX + user;
}

export function userOfNotifySubject(subject: string): string | undefined {
  return subject.startsWith(NOTIFY_PREFIX) ? subject.slice(NOTIFY_PREFIX.length) : undefined;
}

/**
 * A room's subjects: `state` and `events` from the game server, `chat`
 * stored by the hub, `input` and `presence` from the hub to the game server.
 */
export type RoomPart = 'state' | 'events' | 'chat' | 'input' | 'presence';
const ROOM_PARTS: readonly RoomPart[] = ['state', 'events', 'chat', 'input', 'presence'];

/** `rooms.<room>.<part>`; `*` as the room gives the subject of that part in every room. */
export function roomSubject(room: string, part: RoomPart): string {
  return `rooms.${room}.${part}`;
}

/** Every part of one room. */
export function roomWildcard(room: string): string {
  return `rooms.${room}.*`;
}

/** `rooms.<room>.<part>` back to its room and part; undefined for anything else. */
export function parseRoomSubject(subject: string): { room: string; part: RoomPart } | undefined {
  const tokens = subject.split('.');
  if (tokens.length !== 3 || tokens[0] !== 'rooms') return undefined;
  const part = tokens[2] as RoomPart;
  return ROOM_PARTS.includes(part) ? { room: tokens[1]!, part } : undefined;
}

/**
 * A room name is one subject token: with a dot it would span several and
 * match no game server's `rooms.*.…` permission, so such rooms are refused
 * rather than silently split.
 */
export function isSubjectSafeRoom(room: string): boolean {
  return !room.includes('.');
}

/** The room of a `room:` channel, when it can be a subject token. */
export function checkRoomName(room: string): Result<string> {
  return isSubjectSafeRoom(room) ? ok(room) : fail('bad_request', `room names are NATS subject tokens: "${room}" must not contain "."`);
}

/** `presence.<channel>`: joins and leaves of every channel, for services (user `observer`). */
export const PRESENCE_SUBJECTS = 'presence.>';

export function presenceSubject(ch: string): string {
  return `presence.${ch}`;
}
