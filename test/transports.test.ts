import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import type { NatsConnection } from 'nats';
import type { ErrorFrame, MessageFrame, ServerFrame, SubscribedFrame, TransportKind, WelcomeFrame } from '@pulse/hub/protocol';
import {
  startHubProcess,
  startTestNats,
  TestPollClient,
  TestSseClient,
  TestWsClient,
  type HubProcess,
  type TestNats,
} from '@pulse/hub/testing';
import { connectService, sleep, uniqueName } from './helpers.js';
import { metricsSubject } from '@pulse/hub/protocol';

type Client = TestWsClient | TestSseClient | TestPollClient;

/** How each transport opens with channels and how it resumes natively after a cut. */
interface Driver {
  open(hub: HubProcess, channels: string[]): Promise<Client>;
  resume(old: Client, hub: HubProcess, channels: string[]): Promise<Client>;
}

const drivers: Record<TransportKind, Driver> = {
  ws: {
    async open(hub, channels) {
      const c = await TestWsClient.connect(hub.wsUrl);
      for (const ch of channels) c.send({ type: 'subscribe', ch });
      return c;
    },
    // WebSocket resumes with `since` per channel, from the positions the client saw.
    async resume(old, hub, channels) {
      const c = await TestWsClient.connect(hub.wsUrl);
      for (const ch of channels) {
        const since = lastPosition(old.frames, ch);
        c.send({ type: 'subscribe', ch, ...(since !== undefined && { since }) });
      }
      return c;
    },
  },
  sse: {
    open: (hub, channels) => TestSseClient.connect(hub.url, channels),
    resume: (old, hub, channels) => TestSseClient.connect(hub.url, channels, { lastEventId: (old as TestSseClient).lastEventId! }),
  },
  poll: {
    open: (hub, channels) => TestPollClient.connect(hub.url, channels),
    resume: (old, hub, channels) => TestPollClient.connect(hub.url, channels, { cursor: (old as TestPollClient).cursor! }),
  },
};

function lastPosition(frames: ServerFrame[], ch: string): number | undefined {
  let pos: number | undefined;
  for (const f of frames) {
    if (f.type === 'subscribed' && f.ch === ch) pos = Math.max(pos ?? 0, f.seq);
    if (f.type === 'message' && f.ch === ch && f.seq !== undefined) pos = Math.max(pos ?? 0, f.seq);
  }
  return pos;
}

let nats: TestNats;
let hubA: HubProcess;
let hubB: HubProcess;
let service: NatsConnection;
const opened: Client[] = [];

beforeAll(async () => {
  nats = await startTestNats();
  [hubA, hubB] = await Promise.all([startHubProcess(nats.url), startHubProcess(nats.url)]);
  service = await connectService(nats.url);
});

afterAll(async () => {
  await Promise.allSettled(opened.map((c) => c.close()));
  await service?.close();
  await Promise.allSettled([hubA?.stop(), hubB?.stop()]);
  await nats?.stop();
});

async function historySeqs(ch: string): Promise<number[]> {
  const body = (await (await fetch(`${hubA.url}/api/history?ch=${encodeURIComponent(ch)}&limit=2000`)).json()) as { messages: MessageFrame[] };
  return body.messages.map((m) => m.seq!);
}

describe.each(['ws', 'sse', 'poll'] as const)('over %s', (transport) => {
  const driver = drivers[transport];
  const track = async (p: Promise<Client>) => {
    const c = await p;
    opened.push(c);
    return c;
  };

  it('welcomes first, naming the transport and the user', async () => {
    const c = await track(driver.open(hubA, []));
    const welcome = c.frames[0] as WelcomeFrame;
    expect(welcome).toMatchObject({ type: 'welcome', transport, user: { role: 'viewer' } });
    expect(welcome.session).toBeTruthy();
  });

  it('subscribes with a ref: subscribed, then ack', async () => {
    const c = await track(driver.open(hubA, []));
    const ch = `metrics:${uniqueName('test.t')}`;
    await c.send({ type: 'subscribe', ch, ref: 'r1' });
    expect(await c.next<SubscribedFrame>((f) => f.type === 'subscribed')).toMatchObject({ ch, seq: 0, recovered: false });
    expect(await c.next((f) => f.type === 'ack')).toEqual({ type: 'ack', ref: 'r1' });
  });

  it('answers ping, refuses what is not allowed with the ref, and keeps going', async () => {
    const c = await track(driver.open(hubA, []));
    await c.send({ type: 'publish', ch: 'metrics:cpu', data: 1, ref: 'p1' });
    expect(await c.next<ErrorFrame>((f) => f.type === 'error')).toMatchObject({ code: 'forbidden', ref: 'p1' });
    await c.send({ type: 'subscribe', ch: 'nope', ref: 'p2' });
    expect(await c.next<ErrorFrame>((f) => f.type === 'error')).toMatchObject({ code: 'bad_request', ref: 'p2' });
    await c.send({ type: 'explode' });
    expect(await c.next<ErrorFrame>((f) => f.type === 'error')).toMatchObject({ code: 'bad_request' });
    await c.send({ type: 'ping' });
    expect(await c.next((f) => f.type === 'pong')).toEqual({ type: 'pong' });
  });

  it('resumes after cuts mid-stream, on either hub, with every seq once and in order', async () => {
    const prefix = uniqueName(`test.cut_${transport}`);
    const channels = [0, 1, 2].map((i) => `metrics:${prefix}.s${i}`);
    let publishing = true;
    const publisher = (async () => {
      for (let n = 0; publishing; n++) {
        for (let i = 0; i < channels.length; i++) service.publish(metricsSubject(`${prefix}.s${i}`), String(n));
        await sleep(20);
      }
    })();

    const received = new Map<string, number[]>(channels.map((ch) => [ch, []]));
    // Takes messages for `ms`, and always every message already received: a resume starts after the
    // last one the client got, so one left in the queue at a cut would look lost.
    const collect = async (c: Client, ms: number) => {
      const until = Date.now() + ms;
      for (;;) {
        const m = await c.next<MessageFrame>((f) => f.type === 'message', Math.max(0, until - Date.now())).catch(() => undefined);
        if (!m) return;
        received.get(m.ch)!.push(m.seq!);
      }
    };

    let client = await driver.open(hubA, channels);
    await collect(client, 1500);
    const hubs = [hubB, hubA, hubB, hubA];
    for (const [i, hub] of hubs.entries()) {
      client.cut();
      await collect(client, 0);
      // Messages keep being stored while the client is away.
      await sleep(300 + i * 400);
      client = await driver.resume(client, hub, channels);
      await collect(client, 900 + i * 300);
    }
    publishing = false;
    await publisher;
    await sleep(1500);
    await collect(client, 800);
    await client.close();

    let total = 0;
    for (const ch of channels) {
      const seqs = received.get(ch)!;
      total += seqs.length;
      const history = await historySeqs(ch);
      expect(seqs, ch).toEqual(history.slice(history.indexOf(seqs[0]!)));
    }
    expect(total).toBeGreaterThan(channels.length * 4);
  });
});

describe('a WebSocket opened with its channels in the URL', () => {
  /** The status and contract error of an upgrade the hub refuses. */
  function refusal(url: string): Promise<{ status: number; code: string }> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(url);
      ws.once('open', () => reject(new Error(`${url} was upgraded`)));
      ws.once('unexpected-response', (_req, res) => {
        let body = '';
        res.on('data', (d: Buffer) => (body += d.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, code: (JSON.parse(body) as { error: { code: string } }).error.code }));
      });
    });
  }

  it('is subscribed as it opens, and resumes on another hub from an SSE cursor, every seq once', async () => {
    const prefix = uniqueName('test.wsurl');
    const channels = [0, 1].map((i) => `metrics:${prefix}.s${i}`);
    let publishing = true;
    const publisher = (async () => {
      for (let n = 0; publishing; n++) {
        for (let i = 0; i < channels.length; i++) service.publish(metricsSubject(`${prefix}.s${i}`), String(n));
        await sleep(20);
      }
    })();
    try {
      const query = channels.map((ch) => `ch=${encodeURIComponent(ch)}`).join('&');
      const ws = await TestWsClient.connect(`${hubA.wsUrl}?${query}`);
      // Nothing was sent on the socket: the URL subscribed it.
      for (const ch of channels) await ws.next<SubscribedFrame>((f) => f.type === 'subscribed' && f.ch === ch);
      await ws.next<MessageFrame>((f) => f.type === 'message' && f.ch === channels[1]);
      await ws.close();

      const sse = await TestSseClient.connect(hubA.url, channels);
      const seen = await sse.next<MessageFrame>((f) => f.type === 'message' && f.ch === channels[0]);
      sse.cut();
      await sleep(1500);
      const resumed = await TestWsClient.connect(`${hubB.wsUrl}?cursor=${encodeURIComponent(sse.lastEventId!)}`);
      const first = await resumed.next<MessageFrame>((f) => f.type === 'message' && f.ch === channels[0]);
      const last = sse.frames.filter((f): f is MessageFrame => f.type === 'message' && f.ch === channels[0]).at(-1)!;
      expect(last.seq).toBeGreaterThanOrEqual(seen.seq!);
      // Seqs are the stream's: the next of this channel's is the next in its history.
      const history = await historySeqs(channels[0]!);
      expect(first.seq).toBe(history[history.indexOf(last.seq!) + 1]);
      await resumed.close();
    } finally {
      publishing = false;
      await publisher;
    }
  });

  it('refuses a bad channel with 400, and upgrades anywhere but /ws with 404', async () => {
    expect(await refusal(`${hubA.wsUrl}?ch=nope`)).toEqual({ status: 400, code: 'bad_request' });
    expect(await refusal(`${hubA.wsUrl}?cursor=garbage`)).toEqual({ status: 400, code: 'bad_request' });
    expect(await refusal(hubA.wsUrl.replace(/\/ws$/, '/api/poll'))).toEqual({ status: 404, code: 'not_found' });
  });
});
