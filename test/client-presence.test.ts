import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { EventSource } from 'eventsource';
import { PulseClient, type AnyPresenceFrame, type EventSourceLike, type WebSocketLike } from '@pulse/hub/client';
import type { PresenceCountFrame } from '@pulse/hub/protocol';
import { eventually, uniqueName, useSystem } from './helpers.js';

// Past one member a channel sends counts, so two clients are a large channel here.
const sys = useSystem({ beforeAll, afterAll }, { HUB_PRESENCE_COUNT_ABOVE: '1' });
const clients: PulseClient[] = [];
afterAll(() => clients.forEach((c) => c.close()));

const eventSource = (url: string) => new EventSource(url) as unknown as EventSourceLike;
const webSocket = (url: string) => new WebSocket(url) as unknown as WebSocketLike;

describe('presence of a large channel through the client library', () => {
  it.each(['ws', 'sse', 'poll'] as const)('delivers presence_count over %s', async (kind) => {
    const ch = `page:${uniqueName(`count_${kind}`)}`;
    const watcher = new PulseClient({ url: sys.hub.url, transports: [kind], webSocket, eventSource });
    const other = new PulseClient({ url: sys.hub.url, transports: ['ws'], webSocket });
    clients.push(watcher, other);
    const frames: AnyPresenceFrame[] = [];
    watcher.onPresence((f) => {
      if (f.ch === ch) frames.push(f);
    });
    watcher.subscribe(ch, () => undefined);
    // The client library takes presence as diffs: its own join comes as one.
    await eventually(() => (frames.some((f) => f.type === 'presence_diff' && f.joins.length > 0) ? true : undefined));
    other.subscribe(ch, () => undefined);
    const count = await eventually(() => frames.find((f): f is PresenceCountFrame => f.type === 'presence_count'), 10_000);
    expect(count.count).toBe(2);
    watcher.close();
    other.close();
  });
});
