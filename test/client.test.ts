import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { PulseClient, type ClientStatus, type WebSocketLike } from '@pulse/hub/client';
import type { MessageFrame } from '@pulse/hub/protocol';
import { startHubProcess } from '@pulse/hub/testing';
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
});
