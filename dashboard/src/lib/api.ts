import { storedToken } from './connection.svelte';
import type { AlertRule, AlertRuleInput, ChannelList, HttpErrorBody, NotificationsPage, PresencePage, MessageFrame, MetricListing, Rollup, RollupRangeMessages, RollupRangePoints, RollupWindow } from '@pulse/hub/protocol';

/** A failed call, with the hub's own error message when it sent one. */
export class ApiError extends Error {}

async function get<T>(path: string, init: RequestInit = {}): Promise<T> {
  let res: Response;
  try {
    res = await fetch(path, init);
  } catch {
    throw new ApiError('the hub cannot be reached');
  }
  if (!res.ok) {
    const body = (await res.json().catch(() => undefined)) as HttpErrorBody | undefined;
    throw new ApiError(body?.error.message ?? `the hub answered ${res.status}`);
  }
  return (await res.json()) as T;
}

/** The rooms that have stored anything (state, events, chat). */
export async function listRooms(): Promise<string[]> {
  return (await get<ChannelList>('/api/channels')).rooms.map((r) => r.room);
}

/** Who is in a channel now: how many, and the first page of them with their roles. */
export async function presenceOf(ch: string): Promise<PresencePage> {
  return get<PresencePage>(`/api/presence?${new URLSearchParams({ ch, limit: '200' })}`);
}

/** A call made as the signed-in person (their token), for what is theirs alone. */
function asPerson<T>(path: string, method = 'GET', body?: unknown): Promise<T> {
  const token = storedToken();
  return get<T>(path, {
    method,
    headers: { ...(token && { authorization: `Bearer ${token}` }), ...(body !== undefined && { 'content-type': 'application/json' }) },
    ...(body !== undefined && { body: JSON.stringify(body) }),
  });
}

/** The person's notifications, newest first, `before` a seq for older ones. */
export function listNotifications(before?: number, limit = 20): Promise<NotificationsPage> {
  const q = new URLSearchParams({ limit: String(limit), ...(before !== undefined && { before: String(before) }) });
  return asPerson<NotificationsPage>(`/api/notifications?${q}`);
}

export function markRead(id: string, seq: number): Promise<unknown> {
  return asPerson(`/api/notifications/${encodeURIComponent(id)}/read`, 'POST', { seq });
}

/** Marks read everything up to the newest notification this page has seen, and nothing that came after it. */
export function markAllRead(upTo: number): Promise<unknown> {
  return asPerson('/api/notifications/read-all', 'POST', { upTo });
}

export async function listAlertRules(): Promise<AlertRule[]> {
  return (await asPerson<{ rules: AlertRule[] }>('/api/alerts')).rules;
}

export function createAlertRule(rule: AlertRuleInput): Promise<AlertRule> {
  return asPerson<AlertRule>('/api/alerts', 'POST', rule);
}

export function deleteAlertRule(id: string): Promise<unknown> {
  return asPerson(`/api/alerts/${encodeURIComponent(id)}`, 'DELETE');
}

export async function listMetrics(): Promise<MetricListing[]> {
  return (await get<ChannelList>('/api/channels')).metrics;
}

/** Series whose name starts with `prefix` and that have every tag, with their newest rollup. */
export async function searchSeries(prefix: string, tags: string[], limit: number): Promise<ChannelList> {
  const q = new URLSearchParams({ q: prefix, limit: String(limit), last: '1' });
  for (const t of tags) q.append('tag', t);
  return get<ChannelList>(`/api/channels?${q}`);
}

/** A series' rollups of one window length in [from, to), merged per `step` when given; `seq` is where live messages go on from. */
export async function rollupRange(series: string, window: RollupWindow, from: number, to: number, step?: number): Promise<{ rollups: Rollup[]; seq: number; ch: string }> {
  const q = new URLSearchParams({ ch: `metrics:${series}`, window, from: String(from), to: String(to) });
  if (step !== undefined) {
    q.set('step', String(step));
    const answer = await get<RollupRangePoints>(`/api/history?${q}`);
    return { rollups: answer.rollups, seq: answer.seq, ch: answer.ch };
  }
  const answer = await get<RollupRangeMessages>(`/api/history?${q}`);
  return { rollups: answer.messages.map((m) => m.data), seq: answer.seq, ch: answer.ch };
}

/** A room's newest messages of the given kinds, oldest first. */
export async function roomHistory(ch: string, kinds: string[], limit: number): Promise<MessageFrame[]> {
  const q = new URLSearchParams({ ch, kind: kinds.join(','), limit: String(limit) });
  return (await get<{ messages: MessageFrame[] }>(`/api/history?${q}`)).messages;
}
