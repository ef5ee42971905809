/**
 * Every frame of the wire contract (docs/protocol.md), defined once and imported by
 * the hub, the client library, the dashboard, load/ and the tests.
 */
import type { ErrorCode } from './errors.js';

export type TransportKind = 'ws' | 'sse' | 'poll';

export type Role = 'viewer' | 'player' | 'admin' | 'service';

export interface User {
  id: string;
  name: string;
  role: Role;
}

export type Member = User;

/** `GET /api/presence?ch=`: the channel's members, a page at a time, and how many there are in all. */
export interface PresencePage {
  ch: string;
  count: number;
  members: Array<Member & { sessions: number }>;
  /** The `after` of the next page, when there is one. */
  next?: string;
}

/**
 * Anonymous viewers' ids start with this (a generated `anon-…`); no token
 * may claim such an id, so the prefix alone tells them apart.
 */
export const ANONYMOUS_ID_PREFIX = 'anon-';

export function isAnonymous(user: Pick<User, 'id'>): boolean {
  return user.id.startsWith(ANONYMOUS_ID_PREFIX);
}

/**
 * A client's name for one of its frames, echoed exactly as sent on `ack`,
 * `subscribed` and `error`: a string of at most MAX_REF_CHARS characters, or
 * a non-negative integer (JSON-RPC ids and Socket.IO acks number requests).
 */
export type Ref = string | number;

// Server to client.

export interface WelcomeFrame {
  type: 'welcome';
  session: string;
  transport: TransportKind;
  user: User;
}

export interface SubscribedFrame {
  type: 'subscribed';
  ch: string;
  /** The channel's latest seq; 0 while the channel has never carried a message. */
  seq: number;
  recovered: boolean;
  ref?: Ref;
}

export interface MessageFrame<D = unknown> {
  type: 'message';
  ch: string;
  /** Absent only on ephemeral messages (room `typing`). */
  seq?: number;
  ts: number;
  data: D;
}

export interface PresenceFrame {
  type: 'presence';
  ch: string;
  event: 'join' | 'leave';
  member: Member;
}

/**
 * An extension of the contract for large channels: how many members the
 * channel has. It replaces the member list the client holds: in a channel
 * past the count threshold every subscriber gets this, at most once a
 * second, instead of a `presence` frame per join and leave; when the channel
 * shrinks below the threshold again it is followed by a `join` per member.
 */
export interface PresenceCountFrame {
  type: 'presence_count';
  ch: string;
  count: number;
}

/**
 * An extension for sessions opened with `presence=diff`: everyone present in
 * the channel, in one frame, as a new subscriber's greeting. It replaces the
 * member list the client holds.
 */
export interface PresenceStateFrame {
  type: 'presence_state';
  ch: string;
  members: Member[];
}

/**
 * An extension for sessions opened with `presence=diff`: who joined and who
 * left the channel in the last short interval, in one frame for all of them.
 * Apply as set operations: a diff may repeat what a `presence_state` just
 * showed.
 */
export interface PresenceDiffFrame {
  type: 'presence_diff';
  ch: string;
  joins: Member[];
  leaves: Member[];
}

export interface AckFrame {
  type: 'ack';
  ref: Ref;
  /** On the answer to an `auth` frame: who the session speaks for now, its new role included (an extension). */
  user?: User;
}

export interface ErrorFrame {
  type: 'error';
  code: ErrorCode;
  message: string;
  ref?: Ref;
  /** The channel the error is about, where there is one (an extension of the contract). */
  ch?: string;
}

export interface PongFrame {
  type: 'pong';
}

export type ServerFrame =
  | WelcomeFrame
  | SubscribedFrame
  | MessageFrame
  | PresenceFrame
  | PresenceCountFrame
  | PresenceStateFrame
  | PresenceDiffFrame
  | AckFrame
  | ErrorFrame
  | PongFrame;

/**
 * Every server frame type, for code that must name them all (an SSE reader
 * listens per event name). `every` fails to compile when a type is left out.
 */
export const SERVER_FRAME_TYPES = every<ServerFrame['type']>()(['welcome', 'subscribed', 'message', 'presence', 'presence_count', 'presence_state', 'presence_diff', 'ack', 'error', 'pong']);

/** The query parameter a client opens a session with to get presence as `presence_state` and `presence_diff`. */
export const PRESENCE_DIFF_PARAM = { name: 'presence', value: 'diff' } as const;

// Client to server.

export interface SubscribeFrame {
  type: 'subscribe';
  ch: string;
  since?: number;
  ref?: Ref;
}

export interface UnsubscribeFrame {
  type: 'unsubscribe';
  ch: string;
  ref?: Ref;
}

export interface PublishFrame {
  type: 'publish';
  ch: string;
  data: unknown;
  ref?: Ref;
}

export interface PingFrame {
  type: 'ping';
}

/**
 * An extension: a fresh token for the same person, on the open session. Its
 * role and expiry take effect at once (channels it may no longer read are
 * left with an `error` naming them); the session, its subscriptions and its
 * presence stay. Answered with `ack`, or `error` (`unauthorized`, or
 * `forbidden` for a token of someone else).
 */
export interface AuthFrame {
  type: 'auth';
  token: string;
  ref?: Ref;
}

export type ClientFrame = SubscribeFrame | UnsubscribeFrame | PublishFrame | PingFrame | AuthFrame;

export const CLIENT_FRAME_TYPES = every<ClientFrame['type']>()(['subscribe', 'unsubscribe', 'publish', 'ping', 'auth']);

/** A list of string literals that must hold each member of `T`, checked when compiled. */
function every<T extends string>() {
  return <const L extends readonly T[]>(list: L & ([T] extends [L[number]] ? unknown : { missing: Exclude<T, L[number]> })): L => list;
}
