import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect, StringCodec, type NatsConnection } from 'nats';
import type { ErrorFrame, MessageFrame, SubscribedFrame } from '@pulse/hub/protocol';
import { startHubProcess, TEST_PASSWORDS, TestSseClient, TestWsClient, testToken, type HubProcess } from '@pulse/hub/testing';
import WebSocket from 'ws';
import { PulseClient, type WebSocketLike } from '@pulse/hub/client';
import { mergePatch, type Json, type RoomData } from '@pulse/hub/protocol';
import { eventually, sleep, uniqueName, useSystem } from './helpers.js';
import { roomSubject } from '@pulse/hub/protocol';

const sys = useSystem({ beforeAll, afterAll });
const sc = StringCodec();
const clients: TestWsClient[] = [];
let game: NatsConnection;
let secondHub: HubProcess | undefined;

beforeAll(async () => {
  game = await connect({ servers: sys.nats.url, user: 'game', pass: TEST_PASSWORDS.game });
});

afterAll(async () => {
  await Promise.allSettled(clients.map((c) => c.close()));
  await game?.close();
  await secondHub?.stop();
});

async function player(id: string, hub = sys.hub): Promise<TestWsClient> {
  const c = await TestWsClient.connect(`${hub.wsUrl}?token=${await testToken('player', id, `Player ${id}`)}`);
  clients.push(c);
  return c;
}

async function viewer(hub = sys.hub): Promise<TestWsClient> {
  const c = await TestWsClient.connect(hub.wsUrl);
  clients.push(c);
  return c;
}

/** An anonymous viewer subscribed to the room, once the hub said so. */
async function watching(room: string): Promise<TestWsClient> {
  const c = await viewer();
  c.send({ type: 'subscribe', ch: `room:${room}` });
  await c.next((f) => f.type === 'subscribed');
  return c;
}

async function publishState(room: string, payload: unknown): Promise<void> {
  game.publish(roomSubject(room, 'state'), sc.encode(JSON.stringify(payload)));
  await game.flush();
}

async function history(room: string, query = ''): Promise<Array<MessageFrame<{ kind: string }>>> {
  const res = await fetch(`${sys.hub.url}/api/history?ch=room:${room}${query}`);
  expect(res.status).toBe(200);
  return ((await res.json()) as { messages: Array<MessageFrame<{ kind: string }>> }).messages;
}

/** Waits until the room's history holds `n` messages: the stream has stored what the game server sent. */
async function stored(room: string, n: number): Promise<Array<MessageFrame<{ kind: string }>>> {
  return eventually(async () => {
    const m = await history(room, '&limit=2000');
    return m.length >= n ? m : undefined;
  });
}

describe('rooms', () => {
  it('gives a new subscriber the merged state with the seq of its newest patch, then what follows', async () => {
    const room = uniqueName('r');
    await publishState(room, { tick: 1, state: { players: { a: { x: 1, y: 1 } }, round: 1 } });
    await publishState(room, { tick: 2, patch: { players: { b: { x: 5, y: 5 } } } });
    await publishState(room, { tick: 3, patch: { players: { a: { x: 2 } }, round: null } });
    game.publish(roomSubject(room, 'events'), sc.encode(JSON.stringify({ goal: 'a' })));
    const all = await stored(room, 4);

    const ws = await viewer();
    ws.send({ type: 'subscribe', ch: `room:${room}` });
    const sub = await ws.next<SubscribedFrame>((f) => f.type === 'subscribed');
    const snap = await ws.next<MessageFrame>((f) => f.type === 'message');
    expect(sub).toMatchObject({ seq: all[3]!.seq, recovered: false });
    expect(snap).toMatchObject({ seq: all[2]!.seq, data: { kind: 'state', tick: 3, state: { players: { a: { x: 2, y: 1 }, b: { x: 5, y: 5 } } } } });

    await publishState(room, { tick: 4, patch: { players: { b: null } } });
    const live = await ws.next<MessageFrame>((f) => f.type === 'message' && (f.data as { kind: string }).kind === 'patch');
    expect(live.data).toEqual({ kind: 'patch', tick: 4, patch: { players: { b: null } } });
    expect(live.seq!).toBeGreaterThan(sub.seq);
  });

  it('gives each SSE stream the event id of its own cursor, though streams share one event', async () => {
    const room = uniqueName('sse_ids');
    const other = uniqueName('sse_other');
    const ch = `room:${room}`;
    // One event is built per message for the first stream's id and written whole to every stream with the same id.
    const streams = [await TestSseClient.connect(sys.hub.url, [ch]), await TestSseClient.connect(sys.hub.url, [ch, `room:${other}`]), await TestSseClient.connect(sys.hub.url, [ch])];
    try {
      for (const s of streams) await eventually(() => (s.frames.filter((f) => f.type === 'subscribed').length === (s === streams[1] ? 2 : 1) ? true : undefined));
      game.publish(roomSubject(room, 'events'), sc.encode(JSON.stringify({ shared: true })));
      const seqs = await Promise.all(streams.map(async (s) => (await s.next<MessageFrame>((f) => f.type === 'message' && f.ch === ch)).seq!));
      expect(new Set(seqs).size).toBe(1);
      const ids = streams.map((s) => s.events.find((e) => e.event === 'message' && e.data.includes('"shared"'))?.id);
      expect(ids[0]).toBe(`v1;${ch}@${seqs[0]}`);
      expect(ids[2]).toBe(ids[0]);
      expect(ids[1]).toMatch(new RegExp(`^v1;${ch}@${seqs[0]};room:${other}@\\d+$`));
    } finally {
      for (const s of streams) s.cut();
    }
  });

  it('replays what a client missed after since, in order, then goes live', async () => {
    const room = uniqueName('r');
    await publishState(room, { tick: 1, state: { n: 0 } });
    const [first] = await stored(room, 1);
    for (let i = 1; i <= 20; i++) {
      if (i % 2) await publishState(room, { tick: i + 1, patch: { n: i } });
      else game.publish(roomSubject(room, 'events'), sc.encode(JSON.stringify({ i })));
    }
    const all = await stored(room, 21);

    const ws = await viewer();
    ws.send({ type: 'subscribe', ch: `room:${room}`, since: first!.seq });
    const sub = await ws.next<SubscribedFrame>((f) => f.type === 'subscribed');
    expect(sub).toMatchObject({ recovered: true, seq: all[20]!.seq });
    const got: number[] = [];
    for (let i = 0; i < 20; i++) got.push((await ws.next<MessageFrame>((f) => f.type === 'message')).seq!);
    expect(got).toEqual(all.slice(1).map((m) => m.seq));
  });

  it('sends a player input to the game server with the identity from the token, never to other clients', async () => {
    const room = uniqueName('r');
    const inputs = game.subscribe(roomSubject(room, 'input'), { max: 1 });
    await game.flush();
    const ann = await player('ann');
    const bob = await player('bob');
    bob.send({ type: 'subscribe', ch: `room:${room}` });
    await bob.next((f) => f.type === 'subscribed');
    ann.send({ type: 'publish', ch: `room:${room}`, data: { kind: 'input', input: { move: 'left' }, player: { id: 'forged' } }, ref: 'i1' });
    await ann.next((f) => f.type === 'ack' && f.ref === 'i1');
    for await (const m of inputs) {
      const input = JSON.parse(sc.decode(m.data)) as { player: unknown; input: unknown; ts: number };
      expect(input.player).toEqual({ id: 'ann', name: 'Player ann' });
      expect(input.input).toEqual({ move: 'left' });
      expect(Math.abs(input.ts - Date.now())).toBeLessThan(5_000);
    }
    await sleep(200);
    expect(bob.frames.filter((f) => f.type === 'message')).toEqual([]);
  });

  it('stores chat in history and broadcasts it from the token identity', async () => {
    const room = uniqueName('r');
    const ann = await player('ann');
    const watcher = await watching(room);
    ann.send({ type: 'publish', ch: `room:${room}`, data: { kind: 'chat', text: 'hello <b>room</b>' }, ref: 'c1' });
    await ann.next((f) => f.type === 'ack' && f.ref === 'c1');
    const chat = await watcher.next<MessageFrame>((f) => f.type === 'message');
    expect(chat.data).toEqual({ kind: 'chat', from: { id: 'ann', name: 'Player ann' }, text: 'hello <b>room</b>' });
    expect(chat.seq).toBeGreaterThan(0);
    expect((await history(room)).map((m) => m.data)).toEqual([chat.data]);
  });

  it('relays typing without a seq and lapses it 5 s after the last on', async () => {
    const room = uniqueName('r');
    const ann = await player('ann');
    const watcher = await watching(room);
    ann.send({ type: 'publish', ch: `room:${room}`, data: { kind: 'typing', on: true } });
    const on = await watcher.next<MessageFrame>((f) => f.type === 'message');
    const at = Date.now();
    expect(on).not.toHaveProperty('seq');
    expect(on.data).toEqual({ kind: 'typing', from: { id: 'ann', name: 'Player ann' }, on: true });
    const off = await watcher.next<MessageFrame>((f) => f.type === 'message', 8_000);
    expect(off.data).toEqual({ kind: 'typing', from: { id: 'ann', name: 'Player ann' }, on: false });
    expect(Date.now() - at).toBeGreaterThan(4_000);
    expect(await history(room)).toEqual([]);
  });

  it('refuses game payloads that break the contract, counts them, and keeps the room working', async () => {
    const room = uniqueName('r');
    const ws = await watching(room);
    game.publish(roomSubject(room, 'state'), sc.encode('not json'));
    game.publish(roomSubject(room, 'state'), sc.encode('{"state":{}}'));
    game.publish(roomSubject(room, 'events'), sc.encode('{"broken"'));
    // Nested far deeper than any state: merging or re-encoding it would overflow the hub's stack.
    game.publish(roomSubject(room, 'state'), sc.encode(`{"tick":8,"patch":${'{"a":'.repeat(30_000)}1${'}'.repeat(30_000)}}`));
    await publishState(room, { tick: 9, state: { ok: true } });
    const msg = await ws.next<MessageFrame>((f) => f.type === 'message');
    expect(msg.data).toEqual({ kind: 'state', tick: 9, state: { ok: true } });
    const metrics = await (await fetch(`${sys.hub.url}/metrics`)).text();
    expect(Number(/pulse_bad_input_total\{source="nats_rooms"\} (\d+)/.exec(metrics)?.[1])).toBeGreaterThanOrEqual(4);
    expect((await history(room)).map((m) => m.data)).toEqual([{ kind: 'state', tick: 9, state: { ok: true } }]);
  });

  it('rebuilds the state from history on a hub started later', async () => {
    const room = uniqueName('r');
    await publishState(room, { tick: 1, state: { score: { a: 0 } } });
    for (let t = 2; t <= 30; t++) await publishState(room, { tick: t, patch: { score: { a: t } } });
    await stored(room, 30);
    secondHub = await startHubProcess(sys.nats.url);
    const ws = await viewer(secondHub);
    ws.send({ type: 'subscribe', ch: `room:${room}` });
    const snap = await ws.next<MessageFrame>((f) => f.type === 'message');
    expect(snap.data).toEqual({ kind: 'state', tick: 30, state: { score: { a: 30 } } });
  });

  it('refuses what players may not send and rooms that cannot be NATS subjects', async () => {
    const ann = await player('ann');
    ann.send({ type: 'publish', ch: 'room:a.b', data: { kind: 'chat', text: 'x' }, ref: 'd' });
    expect(await ann.next<ErrorFrame>((f) => f.type === 'error' && f.ref === 'd')).toMatchObject({ code: 'bad_request' });
    ann.send({ type: 'subscribe', ch: 'room:a.b', ref: 's' });
    expect(await ann.next<ErrorFrame>((f) => f.type === 'error' && f.ref === 's')).toMatchObject({ code: 'bad_request' });
    const v = await viewer();
    v.send({ type: 'publish', ch: 'room:lobby', data: { kind: 'chat', text: 'x' }, ref: 'v' });
    expect(await v.next<ErrorFrame>((f) => f.type === 'error' && f.ref === 'v')).toMatchObject({ code: 'forbidden' });
  });

  it('gives the client library the first state though its seq is below the channel seq, then live patches', async () => {
    const room = uniqueName('r');
    await publishState(room, { tick: 1, state: { n: 0, list: [] } });
    await publishState(room, { tick: 2, patch: { n: 1 } });
    await stored(room, 2);
    const client = new PulseClient({ url: sys.hub.url, transports: ['ws'], webSocket: (u) => new WebSocket(u) as unknown as WebSocketLike });
    let state: Json | undefined;
    client.subscribe(`room:${room}`, (m) => {
      const d = m.data as RoomData;
      if (d.kind === 'state') state = d.state;
      if (d.kind === 'patch') state = mergePatch(state ?? {}, d.patch);
    });
    try {
      await eventually(() => (JSON.stringify(state) === '{"n":1,"list":[]}' ? true : undefined));
      await publishState(room, { tick: 3, patch: { n: 2 } });
      await eventually(() => ((state as { n: number }).n === 2 ? true : undefined));
    } finally {
      client.close();
    }
  });
});
