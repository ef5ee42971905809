import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect, StringCodec, type NatsConnection } from 'nats';
import type { MessageFrame, SubscribedFrame } from '@pulse/hub/protocol';
import { TEST_PASSWORDS, TestWsClient, testToken } from '@pulse/hub/testing';
import { eventually, historySeqs, sleep, uniqueName, useSystem } from './helpers.js';
import { roomSubject } from '@pulse/hub/protocol';

const sys = useSystem({ beforeAll, afterAll });
const sc = StringCodec();
let game: NatsConnection;
const clients: TestWsClient[] = [];

beforeAll(async () => {
  game = await connect({ servers: sys.nats.url, user: 'game', pass: TEST_PASSWORDS.game });
});

afterAll(async () => {
  await Promise.allSettled(clients.map((c) => c.close()));
  await game?.close();
});

interface Resumes {
  seqs: number[];
  /** Resumes the hub answered with recovered: false, which must not happen while history holds everything. */
  unrecovered: number;
}

/** Subscribes with since, takes what comes for a moment, unsubscribes, and again from the last seq, until told to stop. */
async function resumeOverAndOver(room: string, start: number, running: () => boolean): Promise<Resumes> {
  const ch = `room:${room}`;
  const ws = await TestWsClient.connect(sys.hub.wsUrl);
  clients.push(ws);
  const out: Resumes = { seqs: [], unrecovered: 0 };
  let last = start;
  for (let i = 0; running(); i++) {
    ws.send({ type: 'subscribe', ch, since: last, ref: `s${i}` });
    const sub = await ws.next<SubscribedFrame>((f) => f.type === 'subscribed' && f.ref === `s${i}`);
    if (!sub.recovered) out.unrecovered++;
    await sleep(10 + Math.random() * 80);
    ws.send({ type: 'unsubscribe', ch, ref: `u${i}` });
    await ws.next((f) => f.type === 'ack' && f.ref === `u${i}`);
    // Everything the subscription sent came before the unsubscribe's ack.
    for (;;) {
      const m = await ws.next<MessageFrame>((f) => f.type === 'message' && f.ch === ch, 0).catch(() => undefined);
      if (!m) break;
      if (m.seq === undefined) continue;
      out.seqs.push(m.seq);
      last = Math.max(last, m.seq);
    }
  }
  await ws.close();
  return out;
}

describe('room resume under load', () => {
  it('loses no chat between patches while 50 subscribers resume with since over and over', async () => {
    const room = uniqueName('resume');
    const subject = roomSubject(room, 'state');
    game.publish(subject, sc.encode(JSON.stringify({ tick: 0, state: { n: 0 } })));
    await game.flush();
    const start = await eventually(async () => (await historySeqs(sys.hub.url, `room:${room}`, 0))[0]);

    const players = await Promise.all(Array.from({ length: 5 }, async (_, i) => TestWsClient.connect(`${sys.hub.wsUrl}?token=${await testToken('player', `chatty-${i}`)}`)));
    clients.push(...players);
    let running = true;
    const patches = (async () => {
      for (let tick = 1; running; tick++) {
        game.publish(subject, sc.encode(JSON.stringify({ tick, patch: { n: tick } })));
        await sleep(20);
      }
    })();
    // Events, on a third subject, as often as a busy game sends them.
    const events = (async () => {
      for (let n = 0; running; n++) {
        for (let i = 0; i < 5; i++) game.publish(roomSubject(room, 'events'), sc.encode(JSON.stringify({ n, i })));
        await sleep(10);
      }
    })();
    // Chat is stored by the hub on its own subject, between the game server's patches.
    const chat = Promise.all(
      players.map(async (player) => {
        for (let n = 0; running; n++) {
          player.send({ type: 'publish', ch: `room:${room}`, data: { kind: 'chat', text: `line ${n}` } });
          await sleep(60);
        }
      }),
    );

    const viewers = Array.from({ length: 50 }, () => resumeOverAndOver(room, start, () => running));
    await sleep(6000);
    running = false;
    const results = await Promise.all(viewers);
    await Promise.all([patches, events, chat]);

    const stored = await historySeqs(sys.hub.url, `room:${room}`, start);
    const chats = (await (await fetch(`${sys.hub.url}/api/history?ch=room:${room}&kind=chat&limit=2000`)).json()) as { messages: unknown[] };
    expect(chats.messages.length).toBeGreaterThan(200);
    for (const r of results) {
      expect(r.unrecovered).toBe(0);
      const last = r.seqs.at(-1)!;
      expect(r.seqs).toEqual(stored.filter((s) => s <= last));
    }
  }, 60_000);
});
