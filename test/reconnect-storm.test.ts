import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { connect, StringCodec, type NatsConnection } from 'nats';
import { PulseClient, type WebSocketLike } from '@pulse/hub/client';
import { roomSubject } from '@pulse/hub/protocol';
import { startHubProcess, startTestNats, TEST_PASSWORDS, type HubProcess, type TestNats } from '@pulse/hub/testing';
import { eventually, historySeqs, sleep, uniqueName } from './helpers.js';

const CLIENTS = 60;
const sc = StringCodec();
let nats: TestNats;
let game: NatsConnection;
let hub: HubProcess | undefined;
const clients: PulseClient[] = [];

beforeAll(async () => {
  nats = await startTestNats();
  game = await connect({ servers: nats.url, user: 'game', pass: TEST_PASSWORDS.game });
});

afterAll(async () => {
  for (const c of clients) c.close();
  await hub?.stop();
  await game?.close();
  await nats?.stop();
});

describe('a hub restarted under a crowd', () => {
  it('brings every client back with every seq once, reading the missed messages from history once for all of them', async () => {
    hub = await startHubProcess(nats.url);
    const port = String(hub.port);
    const room = uniqueName('storm');
    const ch = `room:${room}`;
    game.publish(roomSubject(room, 'events'), sc.encode('{"n":-1}'));
    await game.flush();
    const seen = Array.from({ length: CLIENTS }, () => [] as number[]);
    for (const mine of seen) {
      const client = new PulseClient({ url: hub.url, transports: ['ws'], webSocket: (u) => new WebSocket(u) as unknown as WebSocketLike });
      clients.push(client);
      client.subscribe(ch, (f) => mine.push(f.seq!));
    }
    await eventually(() => (clients.every((c) => c.status.state === 'open') ? true : undefined));
    await sleep(500);
    const since = Math.max(...(await historySeqs(hub.url, ch, 0)));

    let publishing = true;
    const publisher = (async () => {
      for (let n = 0; publishing; n++) {
        game.publish(roomSubject(room, 'events'), sc.encode(JSON.stringify({ n })));
        await sleep(50);
      }
      await game.flush();
    })();
    await sleep(300);
    await hub.stop();
    // Down long enough that messages pile up in history, then back on the same port.
    await sleep(500);
    hub = await startHubProcess(nats.url, { PORT: port });
    await eventually(() => (clients.every((c) => c.status.state === 'open') ? true : undefined), 20_000);
    await sleep(500);
    publishing = false;
    await publisher;

    const stored = await historySeqs(hub.url, ch, since);
    for (const mine of seen) {
      const got = await eventually(() => (mine.filter((s) => s > since).length >= stored.length ? mine.filter((s) => s > since) : undefined), 15_000);
      expect(got).toEqual(stored);
    }
    const metrics = await (await fetch(`${hub.url}/metrics`)).text();
    const reads = Number(/^pulse_room_resume_reads_total (\d+)$/m.exec(metrics)?.[1]);
    // One per client before recent messages were shared; a few now (a client that resumed from further back reads its own).
    expect(reads).toBeLessThan(CLIENTS / 4);
  });
});
