import type { ChannelList, HttpErrorBody, MessageFrame, MetricListing, Rollup } from '@pulse/hub/protocol';

/** A failed call, with the hub's own error message when it sent one. */
export class ApiError extends Error {}

async function get<T>(path: string): Promise<T> {
  let res: Response;
  try {
    res = await fetch(path);
  } catch {
    throw new ApiError('the hub cannot be reached');
  }
  if (!res.ok) {
    const body = (await res.json().catch(() => undefined)) as HttpErrorBody | undefined;
    throw new ApiError(body?.error.message ?? `the hub answered ${res.status}`);
  }
  return (await res.json()) as T;
}

export async function listMetrics(): Promise<MetricListing[]> {
  return (await get<ChannelList>('/api/channels')).metrics;
}

export async function rollupHistory(ch: string, limit: number): Promise<MessageFrame<Rollup>[]> {
  const q = new URLSearchParams({ ch, limit: String(limit) });
  return (await get<{ messages: MessageFrame<Rollup>[] }>(`/api/history?${q}`)).messages;
}

/** A room's newest messages of the given kinds, oldest first. */
export async function roomHistory(ch: string, kinds: string[], limit: number): Promise<MessageFrame[]> {
  const q = new URLSearchParams({ ch, kind: kinds.join(','), limit: String(limit) });
  return (await get<{ messages: MessageFrame[] }>(`/api/history?${q}`)).messages;
}
