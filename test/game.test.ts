import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect, type NatsConnection } from 'nats';
import { mergePatch, roomSubject, type Json, type MessageFrame, type RoomData } from '@pulse/hub/protocol';
import { GameServer, RoomBots, type CoinChaseState } from '@pulse/hub/demo';
import { startHubProcess, startTestNats, testToken, TestWsClient, TEST_PASSWORDS, type HubProcess, type TestNats } from '@pulse/hub/testing';
import { eventually, sleep, uniqueName } from './helpers.js';

// The demo game server against a real hub and nats-server: rooms made on
// first join, inputs checked and echoed, bots, and hostile inputs.

const GRACE_MS = 1_000;
let nats: TestNats;
let hub: HubProcess;
let game: GameServer;
let raw: NatsConnection;
const stops: Array<() => Promise<unknown>> = [];

beforeAll(async () => {
  nats = await startTestNats();
  hub = await startHubProcess(nats.url, { HUB_PRESENCE_GRACE_MS: String(GRACE_MS) });
  game = await GameServer.start({ servers: nats.url, password: TEST_PASSWORDS.game });
  // What a hostile or broken hub-side publisher could put on the input subject.
  raw = await connect({ servers: nats.url, user: 'hub', pass: TEST_PASSWORDS.hub });
});

afterAll(async () => {
  for (const stop of stops) await stop().catch(() => undefined);
  await raw?.close();
  await game?.stop();
  await hub?.stop();
  await nats?.stop();
});

/** A WebSocket client in the room as a player or viewer, rebuilding the game state from what it receives. */
async function enter(room: string, role: 'player' | 'viewer', id = uniqueName(role)) {
  const ws = await TestWsClient.connect(`${hub.wsUrl}?token=${await testToken(role, id, id)}`);
  stops.push(() => ws.close());
  ws.send({ type: 'subscribe', ch: `room:${room}` });
  await ws.next((f) => f.type === 'subscribed');
  /** State by tick, as this client saw it. */
  const states = new Map<number, Json>();
  let state: Json | undefined;
  const take = (f: MessageFrame) => {
    const d = f.data as RoomData & { tick?: number };
    if (d.kind === 'state') state = d.state;
    else if (d.kind === 'patch' && state !== undefined) state = mergePatch(state, d.patch);
    else return;
    states.set(d.tick!, state!);
  };
  let seen = 0;
  const follow = () => {
    const frames = ws.frames.filter((f): f is MessageFrame => f.type === 'message');
    for (; seen < frames.length; seen++) take(frames[seen]!);
  };
  return {
    id,
    ws,
    states: () => (follow(), states),
    game: () => (follow(), state as unknown as CoinChaseState | undefined),
    input: (input: Record<string, unknown>) => ws.send({ type: 'publish', ch: `room:${room}`, data: { kind: 'input', input } }),
    events: () => ws.frames.filter((f): f is MessageFrame => f.type === 'message').map((f) => f.data as RoomData).filter((d) => d.kind === 'event').map((d) => (d as { event: Json }).event as Record<string, unknown>),
  };
}

describe('the game server', () => {
  it('makes a room on its first player, and a late joiner rebuilds the same state as an early one by the same tick', async () => {
    const room = uniqueName('g');
    const early = await enter(room, 'player');
    await eventually(() => early.game()?.players[early.id]);
    // The early player keeps moving, back and forth, so every tick changes the state.
    let seq = 0;
    const steering = setInterval(() => {
      seq++;
      early.input({ dx: seq % 40 < 20 ? 1 : -1, dy: 0, seq });
    }, 50);
    try {
      await sleep(1_000);
      const late = await enter(room, 'viewer');
      // The late joiner starts from the room's latest state; from there on both see the same ticks.
      const common = await eventually(() => {
        const ticks = [...late.states().keys()].filter((t) => early.states().has(t));
        return ticks.length >= 10 ? ticks : undefined;
      });
      for (const tick of common) expect(late.states().get(tick), `tick ${tick}`).toEqual(early.states().get(tick));
    } finally {
      clearInterval(steering);
    }
    // The server echoes the newest input it applied.
    await eventually(() => (early.game()?.players[early.id]?.seq === seq ? true : undefined));
  });

  it('moves only the sender, whatever identity the input claims', async () => {
    const room = uniqueName('g');
    const a = await enter(room, 'player');
    const b = await enter(room, 'player');
    await eventually(() => (a.game()?.players[a.id] && a.game()?.players[b.id] ? true : undefined));
    const before = { ...a.game()!.players[b.id]! };
    for (let seq = 1; seq <= 5; seq++) a.input({ dx: 1, dy: 1, seq, player: { id: b.id, name: 'forged' } });
    await eventually(() => (a.game()?.players[a.id]?.seq === 5 ? true : undefined));
    const after = a.game()!.players[b.id]!;
    expect({ x: after.x, y: after.y, seq: after.seq, name: after.name }).toEqual({ x: before.x, y: before.y, seq: 0, name: before.name });
  });

  it('drops bad inputs with a counted reason, tells the player, and plays on', async () => {
    const room = uniqueName('g');
    const p = await enter(room, 'player');
    await eventually(() => p.game()?.players[p.id]);
    const refusedBefore = { ...game.refused };
    p.input({ dx: 5, dy: 0 });
    await eventually(() => p.events().find((e) => e.type === 'input_refused'));
    expect(p.events().find((e) => e.type === 'input_refused')).toMatchObject({ player: { id: p.id }, reason: 'range' });
    // Garbage straight onto the subject, and a flood past 20 a second from one player.
    for (const junk of ['not json', '[]', '{"player":{"id":7}}', `{"player":{"id":"${p.id}"},"input":{"dx":"x","dy":0}}`]) raw.publish(roomSubject(room, 'input'), junk);
    for (let i = 0; i < 60; i++) raw.publish(roomSubject(room, 'input'), JSON.stringify({ player: { id: p.id, name: 'x' }, input: { dx: 0, dy: 0 }, ts: 0 }));
    await raw.flush();
    await eventually(() => (game.refused.shape >= refusedBefore.shape + 4 && game.refused.rate > refusedBefore.rate && game.refused.range > refusedBefore.range ? true : undefined));
    // Still playing: a good input moves the dot.
    await sleep(1_100);
    const x = p.game()!.players[p.id]!.x;
    for (let seq = 1; seq <= 3; seq++) p.input({ dx: x > 400 ? -1 : 1, dy: 0, seq });
    await eventually(() => (p.game()?.players[p.id]?.seq === 3 ? true : undefined));
    expect(p.game()!.players[p.id]!.x).not.toBe(x);
  });

  it('idles a room when its last player leaves, after presence\'s grace', async () => {
    const room = uniqueName('g');
    const p = await enter(room, 'player');
    const viewer = await enter(room, 'viewer');
    await eventually(() => viewer.game()?.players[p.id]);
    await p.ws.close();
    // Kept through the grace, then gone, and the room stops ticking.
    await sleep(GRACE_MS / 2);
    expect(viewer.game()?.players[p.id]).toBeDefined();
    await eventually(() => (viewer.game() && !viewer.game()!.players[p.id] ? true : undefined), 10_000);
    await eventually(() => (game.rooms.get(room)?.idle ? true : undefined));
    const ticks = viewer.states().size;
    await sleep(500);
    expect(viewer.states().size).toBe(ticks);
  });

  it('keeps bots in a room only while it lacks people, and they play through the input path', async () => {
    const room = uniqueName('b');
    const bots = await RoomBots.start({ servers: nats.url, password: TEST_PASSWORDS.hub, room, count: 3 });
    stops.push(() => bots.stop());
    const viewer = await enter(room, 'viewer');
    const botsIn = () => Object.values(viewer.game()?.players ?? {}).filter((p) => p.bot).length;
    await eventually(() => (botsIn() === 3 ? true : undefined));
    // They move: the coin chase runs on their inputs.
    const first = JSON.stringify(Object.values(viewer.game()!.players).map((p) => [p.x, p.y]));
    await eventually(() => (JSON.stringify(Object.values(viewer.game()!.players).map((p) => [p.x, p.y])) !== first ? true : undefined));
    const ann = await enter(room, 'player');
    const bob = await enter(room, 'player');
    await eventually(() => (botsIn() === 1 ? true : undefined));
    expect(Object.values(viewer.game()!.players).filter((p) => !p.bot)).toHaveLength(2);
    await ann.ws.close();
    await bob.ws.close();
    await eventually(() => (botsIn() === 3 ? true : undefined), 10_000);
  });

  it('plays on through a restart of nats-server', async () => {
    const room = uniqueName('g');
    const p = await enter(room, 'player');
    await eventually(() => p.game()?.players[p.id]);
    await nats.halt();
    await sleep(500);
    const again = await startTestNats({ port: nats.port, dir: nats.dir });
    nats = again;
    // The hub and the game server reconnect; a new session steers as before. A join announced while the
    // game server was still reconnecting is missed, and the player is known by their first input instead.
    const q = await eventually(async () => enter(room, 'player').catch(() => undefined), 30_000);
    let seq = 0;
    await eventually(() => {
      q.input({ dx: 0, dy: 1, seq: ++seq });
      return (q.game()?.players[q.id]?.seq ?? 0) > 0 ? true : undefined;
    }, 15_000, 200);
  });
});
