import { get } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StringCodec, connect } from 'nats';
import type { MessageFrame, Rollup } from '@pulse/hub/protocol';
import { partitionOf, ROLLUP_PARTITIONS, TEST_PASSWORDS, TestWsClient } from '@pulse/hub/testing';
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

/** A gauge or counter of each worker, scraping until both have answered. */
async function byWorker(metric: string): Promise<Map<string, number>> {
  const seen = new Map<string, number>();
  const value = new RegExp(`^${metric} (\\d+)$`, 'm');
  for (let i = 0; i < 50 && seen.size < 2; i++) {
    const text = await scrape();
    const worker = /^pulse_hub_info\{worker="(\d+)"\} 1$/m.exec(text)?.[1];
    if (worker !== undefined) seen.set(worker, Number(value.exec(text)?.[1] ?? 0));
  }
  expect(seen.size).toBe(2);
  return seen;
}

/** One fresh metric name in each rollup partition, so that whoever holds a partition has a name to roll up. */
function onePerPartition(): string[] {
  const byPartition = new Map<number, string>();
  for (let i = 0; i < 100_000 && byPartition.size < ROLLUP_PARTITIONS; i++) {
    const name = uniqueName(`w.m${i}`);
    if (!byPartition.has(partitionOf(name))) byPartition.set(partitionOf(name), name);
  }
  expect(byPartition.size).toBe(ROLLUP_PARTITIONS);
  return [...byPartition.values()];
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
    // The workers share the partitions evenly once both have joined.
    await eventually(async () => ([...(await byWorker('pulse_rollup_partitions')).values()].every((n) => n === ROLLUP_PARTITIONS / 2) ? true : undefined), 20_000);
    const before = await byWorker('pulse_samples_total');
    const names = onePerPartition();
    const t = Date.now() - (Date.now() % 1000) + 2000;
    for (const n of names) for (let k = 0; k < 10; k++) sys.service.publish(metricsSubject(`${n},host=h${k % 2}`), JSON.stringify({ value: k, ts: t + k }));
    await sys.service.flush();
    const counts = async (n: string) => ((await (await fetch(`${sys.hub.url}/api/history?ch=metrics:${n}`)).json()) as { messages: Array<MessageFrame<Rollup>> }).messages.map((m) => m.data.count);
    for (const n of names) await eventually(async () => ((await counts(n)).length > 0 ? true : undefined));
    // A second rollup of the same window, from the other worker, would be in by now.
    await sleep(300);
    for (const n of names) expect(await counts(n)).toEqual([10]);
    const after = await byWorker('pulse_samples_total');
    const counted = [...after].map(([worker, n]) => n - (before.get(worker) ?? 0));
    expect(counted.reduce((a, b) => a + b, 0)).toBe(names.length * 10);
    // A name in every partition, the partitions split between the workers: both take half.
    expect(counted).toEqual([names.length * 5, names.length * 5]);
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
