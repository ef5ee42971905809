import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { PulseClient, type ClientStatus, type WebSocketLike } from '@pulse/hub/client';
import { roomSubject, type ErrorFrame, type MessageFrame } from '@pulse/hub/protocol';
import { startHubProcess, startTestNats, TEST_PASSWORDS } from '@pulse/hub/testing';
import { connect } from 'nats';
import { eventually, sleep, uniqueName, useSystem } from './helpers.js';
import { metricsSubject } from '@pulse/hub/protocol';


const sys = useSystem({ beforeAll, afterAll });

const nodeWebSocket = (url: string) => new WebSocket(url) as unknown as WebSocketLike;

describe('PulseClient', () => {
  it('reconnects after the hub is killed and resumes with every seq once, in order', async () => {
    const series = uniqueName('test.client');
    const ch = `metrics:${series}`;
    let publishing = true;
    const publisher = (async () => {
      for (let n = 0; publishing; n++) {
        sys.service.publish(metricsSubject(series), String(n));
        await sleep(25);
      }
    })();

    const client = new PulseClient({ url: sys.hub.url, webSocket: nodeWebSocket });
    const states: ClientStatus['state'][] = [];
    client.onStatus((s) => states.push(s.state));
    const seqs: number[] = [];
    client.subscribe(ch, (m: MessageFrame) => seqs.push(m.seq!), { since: 0 });

    await eventually(() => (seqs.length >= 2 ? true : undefined));
    const port = sys.hub.port;
    await sys.hub.kill('SIGKILL');
    await sleep(1500);
    sys.hub = await startHubProcess(sys.nats.url, { PORT: String(port) });
    const before = seqs.length;
    await eventually(() => (seqs.length >= before + 2 ? true : undefined), 20_000);
    publishing = false;
    await publisher;
    await sleep(2000);

    const history = (await (await fetch(`${sys.hub.url}/api/history?ch=${ch}&limit=2000`)).json()) as { messages: MessageFrame[] };
    await eventually(() => (seqs.length >= history.messages.length ? true : undefined));
    client.close();

    expect(states).toContain('reconnecting');
    expect(states.at(-1)).toBe('closed');
    expect(seqs).toEqual(history.messages.map((m) => m.seq));
  });

  it('asks again for a channel refused for now, on the same connection, and gets what is published once it is served', async () => {
    const room = uniqueName('client_retry');
    const ch = `room:${room}`;
    const client = new PulseClient({ url: sys.hub.url, webSocket: nodeWebSocket });
    client.subscribe(`metrics:${uniqueName('test.keepopen')}`, () => undefined);
    await eventually(() => (client.status.state === 'open' ? true : undefined));
    const port = Number(new URL(sys.nats.url).port);
    // With NATS gone the hub cannot read the room's history: the subscribe is refused, overloaded.
    await sys.nats.kill();
    const errors: ErrorFrame[] = [];
    const seqs: number[] = [];
    client.subscribe(ch, (m) => seqs.push(m.seq!), { onError: (e) => errors.push(e) });
    await eventually(() => (errors.length > 0 ? true : undefined), 20_000);
    expect(errors[0]!.code).toBe('overloaded');
    sys.nats = await startTestNats({ port, dir: sys.nats.dir });
    await sys.service.close();
    sys.service = await connect({ servers: sys.nats.url, user: 'service', pass: TEST_PASSWORDS.service });
    const game = await connect({ servers: sys.nats.url, user: 'game', pass: TEST_PASSWORDS.game });
    try {
      // The client asks again by itself; what is published after that reaches it on the connection it never left.
      await eventually(async () => {
        game.publish(roomSubject(room, 'events'), JSON.stringify({ at: Date.now() }));
        await game.flush();
        return seqs.length > 0 ? true : undefined;
      }, 40_000, 1_000);
      expect(client.status.state).toBe('open');
    } finally {
      await game.close();
      client.close();
    }
  }, 60_000);
});

