import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { EventSource } from 'eventsource';
import { PulseClient, type ClientStatus, type EventSourceLike, type WebSocketLike } from '@pulse/hub/client';
import type { ErrorFrame, MessageFrame, TransportKind } from '@pulse/hub/protocol';
import { eventually, sleep, uniqueName, useSystem } from './helpers.js';
import { metricsSubject } from '@pulse/hub/protocol';

const clients: PulseClient[] = [];

const sys = useSystem({ beforeAll, afterAll });

afterAll(() => {
  for (const c of clients) c.close();
});

const eventSource = (url: string) => new EventSource(url) as unknown as EventSourceLike;

/** A WebSocket factory that a test can turn off, as a proxy that starts refusing WebSocket would. */
function switchableWebSocket() {
  const sockets = new Set<WebSocket>();
  let blocked = false;
  return {
    factory: (url: string) => {
      const target = blocked ? url.replace(/:\d+\//, ':1/') : url;
      const ws = new WebSocket(target);
      ws.on('error', () => undefined);
      sockets.add(ws);
      return ws as unknown as WebSocketLike;
    },
    block() {
      blocked = true;
      for (const ws of sockets) ws.terminate();
    },
    unblock() {
      blocked = false;
    },
  };
}

function publishing(series: string): () => Promise<void> {
  let on = true;
  const loop = (async () => {
    for (let n = 0; on; n++) {
      sys.service.publish(metricsSubject(series), String(n));
      await sleep(25);
    }
  })();
  return async () => {
    on = false;
    await loop;
  };
}

async function history(ch: string): Promise<number[]> {
  const body = (await (await fetch(`${sys.hub.url}/api/history?ch=${encodeURIComponent(ch)}&limit=2000`)).json()) as { messages: MessageFrame[] };
  return body.messages.map((m) => m.seq!);
}

function track(client: PulseClient) {
  clients.push(client);
  const transports: Array<TransportKind | undefined> = [];
  client.onStatus((s: ClientStatus) => {
    if (s.state === 'open') transports.push(s.transport);
  });
  return transports;
}

describe('PulseClient over each transport', () => {
  it.each(['ws', 'sse', 'poll'] as const)('receives live data and settles publishes over %s', async (kind) => {
    const series = uniqueName(`test.lib_${kind}`);
    const client = new PulseClient({ url: sys.hub.url, transports: [kind], webSocket: (u) => new WebSocket(u) as unknown as WebSocketLike, eventSource });
    const transports = track(client);
    const seqs: number[] = [];
    client.subscribe(`metrics:${series}`, (m) => seqs.push(m.seq!), { since: 0 });
    const stop = publishing(series);
    await eventually(() => (seqs.length >= 2 ? true : undefined));
    await stop();
    expect(transports).toEqual([kind]);
    await expect(client.publish(`metrics:${series}`, 1)).rejects.toMatchObject({ code: 'forbidden' } satisfies Partial<ErrorFrame>);
    client.close();
  });
});

describe('transport fallback', () => {
  it('falls back to SSE when WebSocket cannot open, and to long-poll without EventSource', async () => {
    const dead = (url: string) => new WebSocket(url.replace(/:\d+\//, ':1/')) as unknown as WebSocketLike;
    const toSse = new PulseClient({ url: sys.hub.url, webSocket: dead, eventSource, openTimeoutMs: 1000 });
    const toPoll = new PulseClient({ url: sys.hub.url, webSocket: dead, openTimeoutMs: 1000 });
    const sseTransports = track(toSse);
    const pollTransports = track(toPoll);
    await eventually(() => (sseTransports.length > 0 && pollTransports.length > 0 ? true : undefined));
    expect(sseTransports).toEqual(['sse']);
    expect(pollTransports).toEqual(['poll']);
    toSse.close();
    toPoll.close();
  });

  it('switches from WebSocket to SSE mid-stream and back, with every seq once and in order', async () => {
    const series = uniqueName('test.switch');
    const ch = `metrics:${series}`;
    const ws = switchableWebSocket();
    const client = new PulseClient({ url: sys.hub.url, webSocket: ws.factory, eventSource, openTimeoutMs: 1000, upgradeAfterMs: 2500 });
    const transports = track(client);
    const seqs: number[] = [];
    client.subscribe(ch, (m) => seqs.push(m.seq!), { since: 0 });
    const stop = publishing(series);

    await eventually(() => (seqs.length >= 2 ? true : undefined));
    ws.block();
    await eventually(() => (transports.at(-1) === 'sse' ? true : undefined), 15_000);
    const onSse = seqs.length;
    await eventually(() => (seqs.length >= onSse + 2 ? true : undefined), 15_000);
    ws.unblock();
    await eventually(() => (transports.at(-1) === 'ws' ? true : undefined), 15_000);
    const back = seqs.length;
    await eventually(() => (seqs.length >= back + 2 ? true : undefined), 15_000);
    await stop();
    await sleep(1500);
    const all = await history(ch);
    await eventually(() => (seqs.length >= all.length ? true : undefined));
    client.close();

    expect(transports).toEqual(['ws', 'sse', 'ws']);
    expect(seqs).toEqual(all);
  });
});
