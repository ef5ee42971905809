import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect, type NatsConnection } from 'nats';
import { io } from 'socket.io-client';
import { startTestNats, TEST_PASSWORDS, type TestNats } from '@pulse/hub/testing';
import { publishRun } from '../publisher.js';
import { readProbe } from '../probe.js';
import { launchServer, type RunningServer, type ServerKind } from '../servers/launch.js';
import { openClient, type Target } from './targets.js';
import { roomSubject } from '@pulse/hub/protocol';

let nats: TestNats;
let game: NatsConnection;
const servers: RunningServer[] = [];

beforeAll(async () => {
  nats = await startTestNats();
  game = await connect({ servers: nats.url, user: 'game', pass: TEST_PASSWORDS.game });
});

afterAll(async () => {
  await Promise.allSettled(servers.map((s) => s.stop()));
  await game?.close();
  await nats?.stop();
});

async function serve(kind: ServerKind, room: string): Promise<RunningServer> {
  const s = await launchServer(kind, { url: nats.url, user: 'hub', pass: TEST_PASSWORDS.hub }, roomSubject(room, 'events'));
  servers.push(s);
  return s;
}

/** Opens a client, publishes three probes once it is ready, and returns the indexes it read. */
async function receive(target: Target, server: RunningServer, room: string): Promise<number[]> {
  const got: number[] = [];
  let handle: { close(): void } | undefined;
  await new Promise<void>((done, fail) => {
    handle = openClient(target, server.url, `room:${room}`, {
      ready: () => void publishRun(game, roomSubject(room, 'events'), 7, 100, 0.03),
      payload: (text) => {
        const p = readProbe(text);
        if (p?.r === 7) got.push(p.i);
        if (got.length === 3) done();
      },
      failed: (reason) => fail(new Error(reason)),
      closed: () => undefined,
    });
  });
  handle?.close();
  return got;
}

describe('load clients read probes from every server', () => {
  it.each<[ServerKind, Target]>([
    ['hub', 'pulse-ws'],
    ['hub', 'pulse-sse'],
    ['hub', 'pulse-poll'],
    ['hub', 'pulse-client'],
    ['bare-ws', 'bare-ws'],
    ['bare-ws', 'bare-ws-reconnecting'],
    ['socketio', 'socketio'],
  ])('%s with %s clients', async (kind, target) => {
    const room = `t${Math.random().toString(36).slice(2, 8)}`;
    const server = await serve(kind, room);
    expect(await receive(target, server, room)).toEqual([0, 1, 2]);
  });

  it('reads from the Socket.IO server what socket.io-client reads', async () => {
    const room = `t${Math.random().toString(36).slice(2, 8)}`;
    const server = await serve('socketio', room);
    const socket = io(server.url, { transports: ['websocket'], reconnection: false });
    const official: number[] = [];
    await new Promise<void>((done) => {
      socket.on('connect', () => void publishRun(game, roomSubject(room, 'events'), 7, 100, 0.03));
      socket.on('m', (payload: { r: number; i: number }) => {
        official.push(payload.i);
        if (official.length === 3) done();
      });
    });
    socket.disconnect();
    expect(official).toEqual([0, 1, 2]);
    expect(await receive('socketio', server, room)).toEqual([0, 1, 2]);
  });
});
