import { get } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StringCodec, connect } from 'nats';
import type { MessageFrame, Rollup } from '@pulse/hub/protocol';
import { TEST_PASSWORDS, TestWsClient } from '@pulse/hub/testing';
import { eventually, sleep, uniqueName, useSystem } from './helpers.js';
import { metricsSubject, roomSubject } from '@pulse/hub/protocol';

// One hub of two workers on one port, as HUB_WORKERS=2 runs it in production.
const sys = useSystem({ beforeAll, afterAll }, { HUB_WORKERS: '2' });
const sc = StringCodec();
const clients: TestWsClient[] = [];

afterAll(async () => {
  await Promise.allSettled(clients.map((c) => c.close()));
});

/** /metrics of one connection, which node:cluster hands to either worker. */
function scrape(): Promise<string> {
  return new Promise((resolve, reject) => {
    get(`${sys.hub.url}/metrics`, { agent: false }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (text += c));
      res.on('end', () => resolve(text));
    }).on('error', reject);
  });
}

/** Samples each worker has accepted into rollups, scraping until both have answered. */
async function samplesByWorker(): Promise<Map<string, number>> {
  const seen = new Map<string, number>();
  for (let i = 0; i < 50 && seen.size < 2; i++) {
    const text = await scrape();
    const worker = /^pulse_hub_info\{worker="(\d+)"\} 1$/m.exec(text)?.[1];
    if (worker !== undefined) seen.set(worker, Number(/^pulse_samples_total (\d+)$/m.exec(text)?.[1] ?? 0));
  }
  expect(seen.size).toBe(2);
  return seen;
}

describe('HUB_WORKERS=2', () => {
  it('serves clients from both workers, each getting every room message once', async () => {
    const room = uniqueName('w');
    for (let i = 0; i < 12; i++) {
      const c = await TestWsClient.connect(sys.hub.wsUrl);
      clients.push(c);
      c.send({ type: 'subscribe', ch: `room:${room}` });
      await c.next((f) => f.type === 'subscribed');
    }
    const metrics = await Promise.all([0, 1, 2, 3].map(async () => (await fetch(`${sys.hub.url}/metrics`)).text()));
    // /metrics answers from whichever worker took the connection: each of them holds some of the clients.
    expect(metrics.every((m) => /pulse_sessions\{transport="ws"\} [1-9]/.test(m))).toBe(true);

    const game = await connect({ servers: sys.nats.url, user: 'game', pass: TEST_PASSWORDS.game });
    for (let i = 0; i < 20; i++) game.publish(roomSubject(room, 'events'), sc.encode(JSON.stringify({ i })));
    await game.flush();
    for (const c of clients) {
      const got: number[] = [];
      while (got.length < 20) got.push(((await c.next<MessageFrame<{ event: { i: number } }>>((f) => f.type === 'message')).data.event.i));
      expect(got).toEqual([...Array(20).keys()]);
    }
    await game.close();
  });

  // JetStream would keep one rollup even if both workers aggregated everything; the workers' own counts tell.
  it('aggregates each metric name in one worker only, so every sample is counted once', async () => {
    const before = await samplesByWorker();
    const names = Array.from({ length: 8 }, (_, i) => uniqueName(`w.m${i}`));
    const t = Date.now() - (Date.now() % 1000) + 2000;
    for (const n of names) for (let k = 0; k < 10; k++) sys.service.publish(metricsSubject(`${n},host=h${k % 2}`), JSON.stringify({ value: k, ts: t + k }));
    await sys.service.flush();
    for (const n of names) {
      const rollups = await eventually(async () => {
        const body = (await (await fetch(`${sys.hub.url}/api/history?ch=metrics:${n}`)).json()) as { messages: Array<MessageFrame<Rollup>> };
        return body.messages.length > 0 ? body.messages : undefined;
      });
      await sleep(300);
      expect(rollups.map((m) => m.data.count)).toEqual([10]);
    }
    const after = await samplesByWorker();
    const counted = [...after].map(([worker, n]) => n - (before.get(worker) ?? 0));
    expect(counted.reduce((a, b) => a + b, 0)).toBe(names.length * 10);
    // Eight names over two workers: both take a share.
    expect(counted.every((n) => n > 0)).toBe(true);
  });

  it('agrees on presence whichever worker answers', async () => {
    const ch = `room:${uniqueName('w')}`;
    for (let i = 0; i < 4; i++) {
      const c = await TestWsClient.connect(sys.hub.wsUrl);
      clients.push(c);
      c.send({ type: 'subscribe', ch });
    }
    for (let i = 0; i < 6; i++) {
      await eventually(async () => {
        const body = (await (await fetch(`${sys.hub.url}/api/presence?ch=${ch}`)).json()) as { count: number };
        return body.count === 4 ? true : undefined;
      });
    }
  });
});
