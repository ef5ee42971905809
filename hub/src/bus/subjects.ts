/**
 * The hub's own NATS subjects, under `pulse.`: never published by services,
 * and built and parsed only here. The contract's subjects live in
 * protocol/subjects.ts.
 */
import type { RollupWindow } from '../protocol/index.js';

/**
 * Rollups, one subject per series and window length, each length captured by
 * its own stream (it keeps its own age). The one-second prefix is version 1's.
 */
const ROLLUP_PREFIXES: Readonly<Record<RollupWindow, string>> = { '1s': 'pulse.rollups.', '10s': 'pulse.rollups10s.', '1m': 'pulse.rollups1m.' };

export function rollupSubjects(window: RollupWindow): string {
  return `${ROLLUP_PREFIXES[window]}>`;
}

export function rollupSubject(window: RollupWindow, series: string): string {
  return ROLLUP_PREFIXES[window] + series;
}

export function seriesOfRollupSubject(window: RollupWindow, subject: string): string {
  return subject.slice(ROLLUP_PREFIXES[window].length);
}

/**
 * A person's inbox: `pulse.inbox.<user>.n` holds their notifications and
 * `.r` the changes of their read state, so the stream keeps its limit of
 * notifications per person whatever they read. The user id is base64url, so
 * any id is one subject token.
 */
export const INBOX_SUBJECTS = 'pulse.inbox.>';
export type InboxPart = 'n' | 'r';

export function inboxSubject(user: string, part: InboxPart | '*'): string {
  return `pulse.inbox.${Buffer.from(user).toString('base64url')}.${part}`;
}

export function userOfInboxSubject(subject: string): string | undefined {
  const token = subject.split('.')[2];
  return token === undefined ? undefined : Buffer.from(token, 'base64url').toString();
}

/**
 * A shared document's stored updates (`.u`) and compacted chunks (`.c`),
 * and the awareness (cursors, names) hubs relay on core NATS, never stored.
 * The name is base64url, one subject token whatever it holds.
 */
export const DOC_SUBJECTS = 'pulse.docs.>';
export const AWARENESS_SUBJECTS = 'pulse.awareness.*';

export function docSubject(name: string, part: 'u' | 'c' | '*'): string {
  return `pulse.docs.${Buffer.from(name).toString('base64url')}.${part}`;
}

export function docOfSubject(subject: string): string | undefined {
  const token = subject.split('.')[2];
  return token === undefined ? undefined : Buffer.from(token, 'base64url').toString();
}

export function awarenessSubject(name: string): string {
  return `pulse.awareness.${Buffer.from(name).toString('base64url')}`;
}

/** Typing flags between hubs, on core NATS. */
const TYPING_PREFIX = 'pulse.typing.';
export const TYPING_SUBJECTS = `${TYPING_PREFIX}*`;

export function typingSubject(room: string): string {
  return TYPING_PREFIX + room;
}

export function roomOfTypingSubject(subject: string): string {
  return subject.slice(TYPING_PREFIX.length);
}

/**
 * Presence changes as every hub announces them; a stream keeps the first of
 * each and republishes it to the contract's subject (see PresenceAnnouncer).
 */
export const PRESENCE_ANNOUNCE = { subjects: 'pulse.presence.>', republishTo: 'presence.>' } as const;
export const ROOM_PRESENCE_ANNOUNCE = { subjects: 'pulse.roompresence.*', republishTo: 'rooms.{{wildcard(1)}}.presence' } as const;

export function presenceAnnounceSubject(ch: string): string {
  return `pulse.presence.${ch}`;
}

export function roomPresenceAnnounceSubject(room: string): string {
  return `pulse.roompresence.${room}`;
}

/** Requests for a session held by one hub process, forwarded by another (see SessionForwarding). */
export function sessionRequestsSubject(processId: string): string {
  return `pulse.sessions.${processId}`;
}

/**
 * A hub that rolls up publishes an empty message here a few times a second.
 * The samples stream captures it with everything else, so a quiet stream
 * still tells its readers what time it is in stream time, and windows close.
 */
export const SAMPLES_TICK_SUBJECT = 'pulse.samples.tick';

/**
 * The subject a KV bucket stores `key` from: a plain publish there is a put,
 * and with the header `KV-Operation: DEL` a delete (what the KV API sends,
 * without waiting for an acknowledgement).
 */
export function kvSubject(bucket: string, key: string): string {
  return `$KV.${bucket}.${key}`;
}

/** Every hub's figures, once a second, for `ops:hubs` on every hub: core NATS, never stored. */
export const HUB_FIGURES_SUBJECT = 'pulse.ops.hubs';
