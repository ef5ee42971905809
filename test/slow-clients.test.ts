import { get, type IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { EventSource } from 'eventsource';
import { connect, StringCodec, type NatsConnection } from 'nats';
import { PulseClient, type EventSourceLike, type WebSocketLike } from '@pulse/hub/client';
import type { ErrorFrame, MessageFrame } from '@pulse/hub/protocol';
import { TEST_PASSWORDS, TestWsClient } from '@pulse/hub/testing';
import { connectService, eventually, historySeqs, sleep, uniqueName, useSystem } from './helpers.js';
import { metricsSubject, roomSubject } from '@pulse/hub/protocol';

// The smallest bound the hub takes, so that a client that stops reading passes it soon.
const sys = useSystem({ beforeAll, afterAll }, { HUB_MAX_BUFFERED_BYTES: String(64 * 1024) });
const sc = StringCodec();
let game: NatsConnection;
const cleanups: Array<() => unknown> = [];

beforeAll(async () => {
  game = await connect({ servers: sys.nats.url, user: 'game', pass: TEST_PASSWORDS.game });
});

afterAll(async () => {
  for (const c of cleanups) await c();
  await game?.close();
});

/** Events of 16 KiB: far more than a stalled reader's socket buffers and the hub's bound hold. */
async function flood(room: string, events: number): Promise<void> {
  const pad = 'x'.repeat(16 * 1024);
  for (let i = 0; i < events; i++) {
    game.publish(roomSubject(room, 'events'), sc.encode(JSON.stringify({ i, pad })));
    if (i % 50 === 49) {
      await game.flush();
      await sleep(5);
    }
  }
  await game.flush();
}

/** A raw SSE stream whose reading the test can stop and start, as a stalled client's would. */
function rawSse(url: string): Promise<{ res: IncomingMessage; text: () => string }> {
  return new Promise((resolve, reject) => {
    let text = '';
    get(url, (res) => {
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk));
      cleanups.push(() => res.destroy());
      resolve({ res, text: () => text });
    }).on('error', reject);
  });
}

/** An EventSource whose body the test can stop reading, for the client library. */
function pausableEventSource() {
  let paused = false;
  let wake: () => void = () => undefined;
  const factory = (url: string) =>
    new EventSource(url, {
      fetch: async (input, init) => {
        const res = await fetch(input, init as RequestInit);
        const reader = res.body!.getReader();
        const body = new ReadableStream<Uint8Array>({
          async pull(controller) {
            while (paused) await new Promise<void>((r) => (wake = r));
            const { done, value } = await reader.read();
            if (done) controller.close();
            else controller.enqueue(value);
          },
          cancel: (why) => reader.cancel(why),
        });
        return new Response(body, { status: res.status, headers: res.headers });
      },
    }) as unknown as EventSourceLike;
  return {
    factory,
    pause: () => (paused = true),
    resume: () => {
      paused = false;
      wake();
    },
  };
}

/** A WebSocket for the client library whose socket the test can stop reading. */
function pausableWebSocket() {
  const sockets: WebSocket[] = [];
  return {
    factory: (url: string) => {
      const ws = new WebSocket(url);
      ws.on('error', () => undefined);
      sockets.push(ws);
      return ws as unknown as WebSocketLike;
    },
    pause: () => sockets.forEach((ws) => (ws as unknown as { _socket: Socket })._socket?.pause()),
    resume: () => sockets.forEach((ws) => (ws as unknown as { _socket: Socket })._socket?.resume()),
  };
}

describe('clients that stop reading', () => {
  it('closes them with overloaded on every transport, keeps the others whole, and the client library resumes with nothing lost', async () => {
    const room = uniqueName('slow');
    const ch = `room:${room}`;
    game.publish(roomSubject(room, 'events'), sc.encode('{"start":true}'));
    await game.flush();
    const start = await eventually(async () => (await historySeqs(sys.hub.url, `room:${room}`, 0))[0]);

    const honest = await TestWsClient.connect(sys.hub.wsUrl);
    cleanups.push(() => honest.close());
    honest.send({ type: 'subscribe', ch, since: start });
    await honest.next((f) => f.type === 'subscribed');

    const stalledWs = await TestWsClient.connect(sys.hub.wsUrl);
    cleanups.push(() => stalledWs.close());
    stalledWs.send({ type: 'subscribe', ch, since: start });
    await stalledWs.next((f) => f.type === 'subscribed');
    const wsSocket = (stalledWs as unknown as { ws: { _socket: Socket } }).ws._socket;
    wsSocket.pause();

    const stalledSse = await rawSse(`${sys.hub.url}/api/sse?ch=${ch}&cursor=${encodeURIComponent(`v1;${ch}@${start}`)}`);
    await eventually(() => (stalledSse.text().includes('event: subscribed') ? true : undefined));
    stalledSse.res.pause();

    const poll = (await (await fetch(`${sys.hub.url}/api/poll?ch=${ch}&cursor=${encodeURIComponent(`v1;${ch}@${start}`)}`)).json()) as { session: string; cursor: string };

    const libWs = pausableWebSocket();
    const libSse = pausableEventSource();
    const seen = { ws: [] as number[], sse: [] as number[] };
    const libs = {
      ws: new PulseClient({ url: sys.hub.url, transports: ['ws'], webSocket: libWs.factory }),
      sse: new PulseClient({ url: sys.hub.url, transports: ['sse'], eventSource: libSse.factory }),
    };
    for (const [kind, client] of Object.entries(libs) as Array<[keyof typeof seen, PulseClient]>) {
      cleanups.push(() => client.close());
      client.subscribe(ch, (m) => seen[kind].push(m.seq!), { since: start });
    }
    await sleep(1000);
    libWs.pause();
    libSse.pause();

    await flood(room, 1000);
    const stored = await eventually(async () => {
      const s = await historySeqs(sys.hub.url, `room:${room}`, start);
      return s.length >= 1000 ? s : undefined;
    });

    // The honest client got every one, in order.
    await eventually(() => (honest.frames.filter((f) => f.type === 'message').length >= stored.length ? true : undefined), 20_000);
    expect(honest.frames.filter((f): f is MessageFrame => f.type === 'message').map((m) => m.seq)).toEqual(stored);

    // Each stalled raw client finds, once it reads again, that the hub gave up on it.
    wsSocket.resume();
    const wsError = await stalledWs.next<ErrorFrame>((f) => f.type === 'error', 20_000);
    expect(wsError.code).toBe('overloaded');
    await eventually(() => stalledWs.closed);
    expect(stalledWs.closed!.code).toBe(1013);
    expect(stalledWs.frames.filter((f) => f.type === 'message').length).toBeLessThan(stored.length);

    stalledSse.res.resume();
    await eventually(() => (stalledSse.res.complete ? true : undefined), 20_000);
    expect(stalledSse.text()).toMatch(/event: error\nid: [^\n]*\ndata: \{"type":"error","code":"overloaded"/);

    const pollAnswer = (await (await fetch(`${sys.hub.url}/api/poll?session=${encodeURIComponent(poll.session)}`)).json()) as { frames: Array<{ type: string; code?: string }> };
    expect(pollAnswer.frames.at(-1)).toMatchObject({ type: 'error', code: 'overloaded' });
    expect((await fetch(`${sys.hub.url}/api/poll?session=${encodeURIComponent(poll.session)}`)).status).toBe(410);

    // The client library was closed too, reconnected by itself, and resumed: every seq once, in order.
    libWs.resume();
    libSse.resume();
    for (const kind of ['ws', 'sse'] as const) {
      await eventually(() => (seen[kind].length >= stored.length ? true : undefined), 30_000);
      expect(seen[kind]).toEqual(stored);
    }
    const metrics = await (await fetch(`${sys.hub.url}/metrics`)).text();
    expect(metrics).toMatch(/pulse_sessions\{transport="ws"\} [1-9]/);
  }, 90_000);

  it('sends a client that falls behind the newest rollup and the room\'s current state instead of a queue, on every transport', async () => {
    const room = uniqueName('behind');
    const series = uniqueName('behind.series');
    const channels = [`room:${room}`, `metrics:${series}`];
    const service = await connectService(sys.nats.url);
    cleanups.push(() => service.close());
    const publishState = (payload: object) => game.publish(roomSubject(room, 'state'), sc.encode(JSON.stringify(payload)));
    publishState({ tick: 0, state: { i: 0, pad: '' } });
    await game.flush();
    await eventually(async () => (await historySeqs(sys.hub.url, `room:${room}`, 0))[0]);

    const ws = await TestWsClient.connect(sys.hub.wsUrl);
    cleanups.push(() => ws.close());
    for (const ch of channels) ws.send({ type: 'subscribe', ch });
    await ws.next((f) => f.type === 'subscribed' && f.ch === channels[1]);
    const wsSocket = (ws.ws as unknown as { _socket: Socket })._socket;
    const sse = await rawSse(`${sys.hub.url}/api/sse?${channels.map((c) => `ch=${c}`).join('&')}`);
    await eventually(() => ((sse.text().match(/event: subscribed/g) ?? []).length === 2 ? true : undefined));
    const poll = (await (await fetch(`${sys.hub.url}/api/poll?${channels.map((c) => `ch=${c}`).join('&')}`)).json()) as { session: string };
    const before = await (await fetch(`${sys.hub.url}/metrics`)).text();
    wsSocket.pause();
    sse.res.pause();

    // Enough to fill the kernel's buffers of the stalled readers, then patches and samples for four rollup windows.
    const pad = 'x'.repeat(16 * 1024);
    let tick = 0;
    for (let i = 0; i < 1000; i++) {
      publishState({ tick: ++tick, patch: { i: tick, pad } });
      if (i % 50 === 49) await game.flush();
    }
    const until = Date.now() + 4_000;
    while (Date.now() < until) {
      for (let i = 0; i < 10; i++) publishState({ tick: ++tick, patch: { i: tick, pad } });
      service.publish(metricsSubject(series), sc.encode(JSON.stringify({ value: tick })));
      await game.flush();
      await sleep(100);
    }
    const last = tick;

    wsSocket.resume();
    sse.res.resume();
    type Room = { kind: string; state?: { i: number }; patch?: { i: number } };
    const roomLast = (frames: Array<{ type: string; ch?: string; data?: unknown }>) =>
      frames.filter((f): f is MessageFrame<Room> => f.type === 'message' && f.ch === channels[0]).at(-1)?.data;
    const reached = (data: Room | undefined) => (data?.state?.i ?? data?.patch?.i) === last;
    const sseFrames = () => [...sse.text().matchAll(/^data: (.*)$/gm)].map((m) => JSON.parse(m[1]!) as MessageFrame<Room>);
    await eventually(() => (reached(roomLast(ws.frames)) ? true : undefined), 20_000);
    await eventually(() => (reached(roomLast(sseFrames())) ? true : undefined), 20_000);
    const pollFrames: Array<{ type: string; ch?: string; data?: unknown; code?: string }> = [];
    let cursor: string | undefined;
    await eventually(async () => {
      const answer = (await (await fetch(`${sys.hub.url}/api/poll?session=${encodeURIComponent(poll.session)}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`)).json()) as { cursor: string; frames: typeof pollFrames };
      cursor = answer.cursor;
      pollFrames.push(...answer.frames);
      return reached(roomLast(pollFrames)) ? true : undefined;
    }, 20_000);

    for (const [transport, frames] of [['ws', ws.frames], ['sse', sseFrames()], ['poll', pollFrames]] as const) {
      // Nobody was given up on, each got far fewer frames than were published, and the room's state reached the end.
      expect(frames.filter((f) => f.type === 'error'), transport).toEqual([]);
      const roomFrames = frames.filter((f) => f.type === 'message' && f.ch === channels[0]) as Array<MessageFrame<Room>>;
      expect(roomFrames.length, transport).toBeLessThan(last / 2);
      expect(roomFrames.some((f, i) => i > 0 && f.data.kind === 'state'), transport).toBe(true);
      const seqs = roomFrames.map((f) => f.seq!);
      expect(seqs, transport).toEqual([...seqs].sort((a, b) => a - b));
      expect(new Set(seqs).size, transport).toBe(seqs.length);
    }
    expect(ws.closed).toBeUndefined();
    const coalesced = (text: string, kind: string) => Number(text.match(new RegExp(`pulse_coalesced_total\\{kind="${kind}"\\} (\\d+)`))?.[1] ?? 0);
    const after = await (await fetch(`${sys.hub.url}/metrics`)).text();
    expect(coalesced(after, 'room') - coalesced(before, 'room')).toBeGreaterThan(last);
    expect(coalesced(after, 'metrics') - coalesced(before, 'metrics')).toBeGreaterThan(0);
  }, 90_000);
});
