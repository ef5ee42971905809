import { connect as tcpConnect, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { connect, StringCodec, type NatsConnection } from 'nats';
import { PulseClient, type ClientStatus, type WebSocketLike } from '@pulse/hub/client';
import type { ErrorFrame, MessageFrame } from '@pulse/hub/protocol';
import { roomSubject } from '@pulse/hub/protocol';
import { maskedText, startHubProcess, TEST_PASSWORDS, TestPollClient, TestSseClient, TestWsClient, testToken } from '@pulse/hub/testing';
import { eventually, sleep, uniqueName, useSystem } from './helpers.js';

const IDLE_MS = 600;
const STALL_MS = 600;
// Far above what the kernel's socket buffers hold, so that only the stall rule can close a stream that stopped reading.
const BUFFERED = 256 * 1024 * 1024;
const sys = useSystem(
  { beforeAll, afterAll },
  {
    HUB_IDLE_SESSION_MS: String(IDLE_MS),
    HUB_STALL_MS: String(STALL_MS),
    HUB_MAX_BUFFERED_BYTES: String(BUFFERED),
    HUB_MAX_POLL_SESSIONS_PER_IP: '3',
  },
);
const sc = StringCodec();
let game: NatsConnection;
const sockets: Socket[] = [];

beforeAll(async () => {
  game = await connect({ servers: sys.nats.url, user: 'game', pass: TEST_PASSWORDS.game });
});

afterAll(async () => {
  for (const s of sockets) s.destroy();
  await game?.close();
});

async function metric(pattern: RegExp): Promise<number> {
  const text = await (await fetch(`${sys.hub.url}/metrics`)).text();
  return Number(pattern.exec(text)?.[1] ?? 0);
}
const limitHits = (limit: string) => metric(new RegExp(`^pulse_limit_hits_total\\{limit="${limit}"\\} (\\d+)$`, 'm'));

/** A raw TCP connection that sends `request` and then never reads what comes back. */
function neverReading(request: string): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = tcpConnect(Number(new URL(sys.hub.url).port), '127.0.0.1', () => {
      socket.write(request);
      // Read the response head, then stop, as a client that hangs would.
      socket.once('data', () => {
        socket.pause();
        resolve(socket);
      });
    });
    socket.on('error', () => undefined);
    sockets.push(socket);
    socket.once('error', reject);
  });
}

/** Room events of 16 KiB each, enough to fill a stalled reader's socket buffers many times over. */
async function flood(room: string, events: number): Promise<void> {
  const pad = 'x'.repeat(16 * 1024);
  for (let i = 0; i < events; i++) {
    game.publish(roomSubject(room, 'events'), sc.encode(JSON.stringify({ i, pad })));
    if (i % 50 === 49) await game.flush();
  }
  await game.flush();
}

describe('sessions that never subscribe', () => {
  it('closes them on every transport with idle, after HUB_IDLE_SESSION_MS', async () => {
    const before = await limitHits('idle_session');
    const ws = await TestWsClient.connect(sys.hub.wsUrl);
    const sse = await TestSseClient.connect(sys.hub.url);
    const poll = await TestPollClient.connect(sys.hub.url);
    const started = Date.now();

    expect((await ws.next<ErrorFrame>((f) => f.type === 'error', 5_000)).code).toBe('idle');
    await eventually(() => ws.closed);
    expect(ws.closed!.code).toBe(4408);
    expect((await sse.next<ErrorFrame>((f) => f.type === 'error', 5_000)).code).toBe('idle');
    expect((await poll.next<ErrorFrame>((f) => f.type === 'error', 5_000)).code).toBe('idle');
    // Not before the time, and at most a quarter of it late (the sweep), with the test's own slack.
    expect(Date.now() - started).toBeGreaterThanOrEqual(IDLE_MS - 50);
    expect(Date.now() - started).toBeLessThan(IDLE_MS * 1.25 + 1_500);
    expect(await limitHits('idle_session')).toBeGreaterThanOrEqual(before + 3);
    sse.cut();
    poll.cut();
  });

  it('keeps a session that holds a subscription, and closes one that unsubscribed from everything', async () => {
    const ch = `room:${uniqueName('idle')}`;
    const holder = await TestWsClient.connect(sys.hub.wsUrl);
    holder.send({ type: 'subscribe', ch });
    await holder.next((f) => f.type === 'subscribed');
    const leaver = await TestWsClient.connect(sys.hub.wsUrl);
    leaver.send({ type: 'subscribe', ch });
    await leaver.next((f) => f.type === 'subscribed');
    leaver.send({ type: 'unsubscribe', ch, ref: 'u' });
    await leaver.next((f) => f.type === 'ack');

    expect((await leaver.next<ErrorFrame>((f) => f.type === 'error', 5_000)).code).toBe('idle');
    await sleep(IDLE_MS * 3);
    expect(holder.closed).toBeUndefined();
    holder.send({ type: 'ping' });
    await holder.next((f) => f.type === 'pong');
    await holder.close();
  });

  it('leaves the client library idle, not reconnecting, until it subscribes again', async () => {
    let opened = 0;
    const client = new PulseClient({
      url: sys.hub.url,
      transports: ['ws'],
      webSocket: (u) => {
        opened++;
        return new WebSocket(u) as unknown as WebSocketLike;
      },
    });
    try {
      const states: ClientStatus['state'][] = [];
      client.onStatus((s) => states.push(s.state));
      await eventually(() => (client.status.state === 'idle' ? true : undefined), 5_000);
      await sleep(IDLE_MS * 3);
      expect(opened).toBe(1);
      expect(client.status.state).toBe('idle');

      const room = uniqueName('wake');
      const got: MessageFrame[] = [];
      client.subscribe(`room:${room}`, (f) => got.push(f));
      await eventually(() => (client.status.state === 'open' ? true : undefined), 5_000);
      await sleep(200);
      game.publish(roomSubject(room, 'events'), sc.encode('{"hello":1}'));
      await eventually(() => (got.some((f) => (f.data as { event?: { hello?: number } }).event?.hello === 1) ? true : undefined), 5_000);
      expect(opened).toBe(2);
      expect(states).toEqual(['connecting', 'open', 'idle', 'connecting', 'open']);
    } finally {
      client.close();
    }
  });
});

describe('peers that stop reading', () => {
  it('closes an SSE stream whose bytes stopped moving, while a reading subscriber gets everything', async () => {
    const room = uniqueName('stall');
    const before = await limitHits('stalled');
    const reader = await TestSseClient.connect(sys.hub.url, [`room:${room}`]);
    await reader.next((f) => f.type === 'subscribed');
    const stalled = await neverReading(`GET /api/sse?ch=room:${room} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`);
    const gone = new Promise<void>((resolve) => stalled.once('close', () => resolve()));
    await sleep(300);
    await flood(room, 600);

    // Its buffer (256 MiB allowed) never fills: only the stall rule ends it.
    await eventually(async () => ((await limitHits('stalled')) > before ? true : undefined), 10_000);
    await eventually(async () => ((await metric(/^pulse_sessions\{transport="sse"\} (\d+)$/m)) === 1 ? true : undefined), 5_000);
    // Reset, so reading again finds the connection gone.
    stalled.resume();
    await Promise.race([gone, sleep(5_000).then(() => Promise.reject(new Error('the stalled stream was not closed')))]);
    const last = await reader.next<MessageFrame>((f) => f.type === 'message' && (f.data as { event?: { i: number } }).event?.i === 599, 20_000);
    expect(last.ch).toBe(`room:${room}`);
    const seen = reader.frames.filter((f): f is MessageFrame => f.type === 'message').flatMap((f) => ((f.data as { event?: { i: number } }).event ? [(f.data as { event: { i: number } }).event.i] : []));
    expect(seen).toEqual(Array.from({ length: 600 }, (_, i) => i));
    reader.cut();
  });

  it('closes a WebSocket that never reads after its upgrade', async () => {
    const room = uniqueName('stall-ws');
    const stalled = await neverReading(
      `GET /ws HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n`,
    );
    // Subscribes (masked, as a client must), then reads nothing more.
    stalled.write(maskedText(JSON.stringify({ type: 'subscribe', ch: `room:${room}` })));
    const gone = new Promise<void>((resolve) => stalled.once('close', () => resolve()));
    await sleep(300);
    const before = await limitHits('stalled');
    await flood(room, 600);
    await eventually(async () => ((await limitHits('stalled')) > before ? true : undefined), 10_000);
    await eventually(async () => ((await metric(/^pulse_sessions\{transport="ws"\} (\d+)$/m)) === 0 ? true : undefined), 5_000);
    stalled.resume();
    await Promise.race([gone, sleep(5_000).then(() => Promise.reject(new Error('the stalled WebSocket was not closed')))]);
  });
});

describe('poll sessions and presence entries', () => {
  it('bounds open poll sessions per address with 429', async () => {
    const rooms = [1, 2, 3].map(() => `room:${uniqueName('p')}`);
    const polls = await Promise.all(rooms.map((ch) => TestPollClient.connect(sys.hub.url, [ch])));
    const refused = await fetch(`${sys.hub.url}/api/poll?ch=room:${uniqueName('p')}`);
    expect(refused.status).toBe(429);
    expect(((await refused.json()) as { error: { code: string } }).error.code).toBe('rate_limited');
    expect(await limitHits('poll_sessions_per_ip')).toBeGreaterThan(0);

    // One ends (its client unsubscribes from everything and idles out): its place is free again.
    // The first answer may come before the subscription is confirmed.
    await polls[0]!.next((f) => f.type === 'subscribed' && f.ch === rooms[0]);
    await polls[0]!.send({ type: 'unsubscribe', ch: rooms[0]! });
    await polls[0]!.next((f) => f.type === 'error' && f.code === 'idle', 5_000);
    const again = await eventually(async () => {
      const res = await fetch(`${sys.hub.url}/api/poll?ch=room:${uniqueName('p')}`);
      return res.status === 200 ? res : undefined;
    }, 5_000);
    expect(again.status).toBe(200);
    for (const p of polls) p.cut();
  });

  it('makes subscribers present up to HUB_MAX_PRESENCE_ENTRIES, and serves them all the same', async () => {
    // A hub of its own, whose entries no other test here has used up.
    const hub = await startHubProcess(sys.nats.url, { HUB_MAX_PRESENCE_ENTRIES: '2' });
    try {
      await presenceCapped(hub.url, hub.wsUrl);
    } finally {
      await hub.stop();
    }
  });
});

/** Three pages subscribed by one user on a hub that may write two presence entries. */
async function presenceCapped(url: string, wsUrl: string): Promise<void> {
  const token = await testToken('viewer', uniqueName('u'));
  const client = await TestWsClient.connect(`${wsUrl}?token=${token}`);
  const pages = [1, 2, 3].map(() => `page:${uniqueName('cap')}`);
  for (const ch of pages) {
    client.send({ type: 'subscribe', ch });
    await client.next((f) => f.type === 'subscribed' && f.ch === ch);
  }
  const members = async (ch: string) => ((await (await fetch(`${url}/api/presence?ch=${encodeURIComponent(ch)}`)).json()) as { count: number }).count;
  expect(await eventually(async () => ((await members(pages[1]!)) === 1 ? true : undefined), 5_000)).toBe(true);
  expect(await members(pages[0]!)).toBe(1);
  expect(await members(pages[2]!)).toBe(0);
  const metrics = await (await fetch(`${url}/metrics`)).text();
  expect(metrics).toMatch(/^pulse_limit_hits_total\{limit="presence_entries"\} 1$/m);
  expect(metrics).toMatch(/^pulse_presence_entries\{scope="local"\} 2$/m);
  await client.close();
}
