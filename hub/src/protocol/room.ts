import type { Json } from './merge-patch.js';
import type { Member } from './frames.js';

/** Who said or did something in a room, as the hub stamps it from the token. */
export interface RoomAuthor {
  id: string;
  name: string;
}

/** The `data` of a `room:` message (docs/protocol.md), by `kind`. */
export type RoomData =
  | { kind: 'state'; tick: number; state: Json }
  | { kind: 'patch'; tick: number; patch: Json }
  | { kind: 'event'; event: Json }
  | { kind: 'chat'; from: RoomAuthor; text: string }
  | { kind: 'typing'; from: RoomAuthor; on: boolean };

/** What a player may publish to a room. */
export type RoomPublishData = { kind: 'input'; input: Json } | { kind: 'chat'; text: string } | { kind: 'typing'; on: boolean };

/** `rooms.<room>.input`, hub to game server. */
export interface RoomInputMessage {
  player: RoomAuthor;
  input: Json;
  ts: number;
}

/** `rooms.<room>.presence`, hub to game server; `presence.<channel>` adds `ch`. */
export interface PresenceAnnouncement {
  ch?: string;
  event: 'join' | 'leave';
  member: Member;
}
