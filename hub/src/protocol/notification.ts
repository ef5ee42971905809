import { fail, ok, type Result } from './errors.js';
import type { Json } from './merge-patch.js';
import { nestsWithin } from './json-depth.js';

/** What a service sends: over NATS to `notify.<userId>`, or to `POST /api/notifications` with `user`. */
export interface NotificationInput {
  title: string;
  body?: string;
  /** A word the client may style by (`alert`, `game`, …). */
  kind?: string;
  /** Anything the client acts on; `url` is followed when the notification is clicked. */
  data?: { url?: string; [key: string]: Json | undefined };
  /** The same key for the same person within 10 minutes is stored once: a retried send is harmless. */
  key?: string;
}

/** A stored notification, as an inbox delivers it. */
export interface Notification {
  id: string;
  /** When the hub took it, ms since the epoch. */
  at: number;
  title: string;
  body?: string;
  kind?: string;
  data?: NotificationInput['data'];
}

/**
 * The `data` of an `inbox:<userId>` message: a notification, or a change of
 * read state that every device of the person applies (`read-all` marks the
 * notifications whose seq is at most `upTo`).
 */
export type InboxData = { kind: 'notification'; notification: Notification } | { kind: 'read'; id: string } | { kind: 'read-all'; upTo: number };

/** `GET /api/notifications`: newest first, a page at a time (`before` the last seq of this page for the next). */
export interface NotificationsPage {
  notifications: Array<Notification & { seq: number; read: boolean }>;
  unread: number;
  next?: number;
}

export const NOTIFICATION_LIMITS = { title: 200, body: 2_000, kind: 40, key: 200, dataBytes: 4_096, dataDepth: 8 } as const;
export const NOTIFICATIONS_PAGE_MAX = 100;

const KIND = /^[a-z0-9_.-]+$/;

/** Checks a notification a service sent; the reason names the field. */
export function readNotificationInput(raw: unknown): Result<NotificationInput> {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return fail('bad_request', 'a notification is an object {"title","body"?,"kind"?,"data"?,"key"?}');
  const { title, body, kind, data, key } = raw as Record<string, unknown>;
  const L = NOTIFICATION_LIMITS;
  if (typeof title !== 'string' || title.trim() === '' || title.length > L.title) return fail('bad_request', `title must be a non-empty string of at most ${L.title} characters`);
  if (body !== undefined && (typeof body !== 'string' || body.length > L.body)) return fail('bad_request', `body must be a string of at most ${L.body} characters`);
  if (kind !== undefined && (typeof kind !== 'string' || kind.length > L.kind || !KIND.test(kind))) return fail('bad_request', `kind must match [a-z0-9_.-], at most ${L.kind} characters`);
  if (key !== undefined && (typeof key !== 'string' || key.length === 0 || key.length > L.key)) return fail('bad_request', `key must be a string of 1 to ${L.key} characters`);
  if (data !== undefined) {
    if (typeof data !== 'object' || data === null || Array.isArray(data)) return fail('bad_request', 'data must be an object');
    if (!nestsWithin(data, L.dataDepth) || JSON.stringify(data).length > L.dataBytes) return fail('bad_request', `data must be at most ${L.dataBytes} bytes of JSON, nested at most ${L.dataDepth} levels`);
    const url = (data as Record<string, unknown>).url;
    if (url !== undefined && !isSafeUrl(url)) return fail('bad_request', 'data.url must be a path on this site or an http(s) URL');
  }
  return ok({
    title,
    ...(body !== undefined && { body: body as string }),
    ...(kind !== undefined && { kind: kind as string }),
    ...(data !== undefined && { data: data as NotificationInput['data'] }),
    ...(key !== undefined && { key: key as string }),
  });
}

/** A link a click may follow: never `javascript:` or another scheme that runs in the page. */
function isSafeUrl(url: unknown): boolean {
  if (typeof url !== 'string' || url.length > 2_000) return false;
  if (url.startsWith('/') && !url.startsWith('//')) return true;
  return /^https?:\/\//i.test(url);
}
