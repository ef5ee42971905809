import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { EventSource } from 'eventsource';
import { connect, StringCodec, type NatsConnection } from 'nats';
import { PulseClient, type EventSourceLike, type WebSocketLike } from '@pulse/hub/client';
import { roomSubject, type TransportKind } from '@pulse/hub/protocol';
import { HostileClients, TEST_PASSWORDS } from '@pulse/hub/testing';
import { eventually, historySeqs, sleep, uniqueName, useSystem } from './helpers.js';

// The short version of `npm run load -- abuse`, with the hub's times shortened so that what the attack leaves goes within seconds.
const sys = useSystem(
  { beforeAll, afterAll },
  { HUB_IDLE_SESSION_MS: '1000', HUB_STALL_MS: '1000', HUB_ROOM_STATE_IDLE_MS: '1000', HUB_PRESENCE_GRACE_MS: '500' },
);
const sc = StringCodec();
let game: NatsConnection;
const clients: PulseClient[] = [];

beforeAll(async () => {
  game = await connect({ servers: sys.nats.url, user: 'game', pass: TEST_PASSWORDS.game });
});

afterAll(async () => {
  for (const c of clients) c.close();
  await game?.close();
});

async function metrics(): Promise<string> {
  return (await fetch(`${sys.hub.url}/metrics`)).text();
}

function value(text: string, line: string): number {
  const at = text.split('\n').find((l) => l.startsWith(`${line} `));
  return Number(at?.slice(line.length + 1) ?? 0);
}

/** An honest viewer of the client library on one transport, keeping every seq it is handed. */
function honestViewer(transport: TransportKind, ch: string): { seqs: number[] } {
  const client = new PulseClient({
    url: sys.hub.url,
    transports: [transport],
    webSocket: (u) => new WebSocket(u) as unknown as WebSocketLike,
    eventSource: (u) => new EventSource(u) as unknown as EventSourceLike,
  });
  clients.push(client);
  const seqs: number[] = [];
  client.subscribe(ch, (f) => seqs.push(f.seq!));
  return { seqs };
}

describe('hostile clients beside honest ones', () => {
  it('loses nothing for the honest viewers on any transport, refuses the attackers, and lets go of what they left', async () => {
    const room = uniqueName('abuse');
    const ch = `room:${room}`;
    game.publish(roomSubject(room, 'events'), sc.encode('{"n":-1}'));
    await game.flush();
    const viewers = (['ws', 'ws', 'sse', 'poll'] as const).map((t) => honestViewer(t, ch));
    await eventually(() => (clients.every((c) => c.status.state === 'open') ? true : undefined), 10_000);
    await sleep(500);
    const since = Math.max(...(await historySeqs(sys.hub.url, ch, 0)));

    let publishing = true;
    let sent = 0;
    const publisher = (async () => {
      while (publishing) {
        game.publish(roomSubject(room, 'events'), sc.encode(JSON.stringify({ n: sent++ })));
        await sleep(50);
      }
      await game.flush();
    })();

    const hostile = HostileClients.start({
      url: sys.hub.url,
      room,
      concurrency: { roam: 3, since: 3, bodies: 1, stall: 4, drop: 1, idle: 4 },
      stallHoldMs: 2_000,
    });
    await sleep(6_000);
    const tally = await hostile.stop();
    await sleep(500);
    publishing = false;
    await publisher;

    const stored = await eventually(async () => {
      const seqs = await historySeqs(sys.hub.url, ch, since);
      return seqs.length === sent ? seqs : undefined;
    });
    for (const v of viewers) {
      const mine = await eventually(() => (v.seqs.filter((s) => s > since).length >= stored.length ? v.seqs.filter((s) => s > since) : undefined), 15_000);
      expect(mine).toEqual(stored);
    }

    // Every attack met its limit.
    const text = await metrics();
    expect(tally.randomSubscribes).toBeGreaterThan(1_000);
    expect(value(text, 'pulse_limit_hits_total{limit="frame_abuse"}')).toBeGreaterThan(0);
    expect(value(text, 'pulse_limit_hits_total{limit="subscriptions"}')).toBeGreaterThan(0);
    expect(value(text, 'pulse_limit_hits_total{limit="body_size"}')).toBe(tally.oversizedBodies);
    expect(Object.keys(tally.bodyAnswers)).toEqual(['413']);
    expect(value(text, 'pulse_limit_hits_total{limit="idle_session"}')).toBeGreaterThan(0);
    expect(tally.droppedUpgrades).toBeGreaterThan(0);
    expect(tally.closeCodes['4429']).toBeGreaterThan(0);
    expect(tally.closeCodes['4408']).toBeGreaterThan(0);

    // What the attackers left goes: their sessions, the rooms they named, their presence.
    await eventually(async () => {
      const t = await metrics();
      const sessions = ['ws', 'sse', 'poll'].reduce((n, k) => n + value(t, `pulse_sessions{transport="${k}"}`), 0);
      return sessions === viewers.length && value(t, 'pulse_room_states') <= 1 && value(t, 'pulse_channels_watched') === 1 && value(t, 'pulse_presence_entries{scope="local"}') === viewers.length
        ? true
        : undefined;
    }, 15_000);
  });
});
