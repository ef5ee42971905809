import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MessageFrame, Rollup, SubscribedFrame } from '@pulse/hub/protocol';
import { TestWsClient } from '@pulse/hub/testing';
import { eventually, uniqueName, useSystem } from './helpers.js';
import { metricsSubject } from '@pulse/hub/protocol';

const QUANTILE_RELATIVE_ERROR = 0.01;

const clients: TestWsClient[] = [];

const sys = useSystem({ beforeAll, afterAll });

afterAll(async () => {
  await Promise.allSettled(clients.map((c) => c.close()));
});

async function client(): Promise<TestWsClient> {
  const c = await TestWsClient.connect(sys.hub.wsUrl);
  clients.push(c);
  return c;
}

/** A window far enough ahead that no sample of the test arrives late for it. */
function nextWindow(): number {
  const now = Date.now();
  return now - (now % 1000) + 2000;
}

function exactQuantile(sorted: number[], q: number): [number, number] {
  const rank = q * (sorted.length - 1);
  return [sorted[Math.floor(rank)]!, sorted[Math.ceil(rank)]!];
}

function expectWithin(actual: number, [lo, hi]: [number, number]) {
  const err = Math.min(Math.abs(actual - lo) / Math.abs(lo), Math.abs(actual - hi) / Math.abs(hi));
  expect(err).toBeLessThanOrEqual(QUANTILE_RELATIVE_ERROR + 1e-9);
}

describe('metrics from NATS to WebSocket', () => {
  it('delivers one rollup per window with exact count/sum/min/max/last and quantiles within 1%', async () => {
    const series = uniqueName('test.latency');
    const ws = await client();
    ws.send({ type: 'subscribe', ch: `metrics:${series}`, ref: 's1' });
    const subscribed = await ws.next<SubscribedFrame>((f) => f.type === 'subscribed');
    expect(subscribed).toMatchObject({ ch: `metrics:${series}`, seq: 0, recovered: false });
    await ws.next((f) => f.type === 'ack' && f.ref === 's1');

    const t = nextWindow();
    // A long-tailed set: most small, a few very large, shuffled, each with its own ts in the window.
    const values = Array.from({ length: 2000 }, (_, i) => (i % 50 === 0 ? 500 + i : 1 + (i % 97) * 1.5));
    const shuffled = values.map((v, i) => ({ v, k: (i * 7919) % 2000 })).sort((a, b) => a.k - b.k).map((x) => x.v);
    const samples = shuffled.map((value, i) => ({ value, ts: t + Math.floor(i / 2) }));
    // Half as a JSON array on the subject, half one by one, to cover each payload shape.
    sys.service.publish(metricsSubject(series), JSON.stringify(samples.slice(0, 1000)));
    for (const s of samples.slice(1000)) sys.service.publish(metricsSubject(series), JSON.stringify(s));
    await sys.service.flush();

    const msg = await ws.next<MessageFrame<Rollup>>((f) => f.type === 'message' && f.ch === `metrics:${series}`, 8000);
    const r = msg.data;
    const sorted = [...values].sort((a, b) => a - b);
    expect(r.t).toBe(t);
    expect(r.count).toBe(2000);
    expect(r.sum).toBeCloseTo(values.reduce((a, b) => a + b, 0), 6);
    expect(r.min).toBe(sorted[0]);
    expect(r.max).toBe(sorted[sorted.length - 1]);
    expect(r.last).toBe(samples[samples.length - 1]!.value);
    expectWithin(r.p50, exactQuantile(sorted, 0.5));
    expectWithin(r.p90, exactQuantile(sorted, 0.9));
    expectWithin(r.p99, exactQuantile(sorted, 0.99));
    expect(msg.seq).toBeGreaterThan(0);
    expect(Math.abs(msg.ts - Date.now())).toBeLessThan(10_000);
  });

  it('feeds a tagged sample into its tagged series and the untagged series of its name', async () => {
    const name = uniqueName('test.cpu');
    const ws = await client();
    for (const ch of [`metrics:${name}`, `metrics:${name},host=a`, `metrics:${name},host=b,zone=eu`]) {
      ws.send({ type: 'subscribe', ch });
      await ws.next((f) => f.type === 'subscribed' && f.ch === ch);
    }
    const t = nextWindow();
    sys.service.publish(metricsSubject(`${name},host=a`), JSON.stringify([{ value: 1, ts: t }, { value: 3, ts: t + 1 }]));
    // Tags from the payload join those of the subject and are sorted into the key.
    sys.service.publish(metricsSubject(name), JSON.stringify({ value: 10, ts: t + 2, tags: { zone: 'eu', host: 'b' } }));
    await sys.service.flush();

    const got = new Map<string, Rollup>();
    while (got.size < 3) {
      const m = await ws.next<MessageFrame<Rollup>>((f) => f.type === 'message', 8000);
      got.set(m.ch, m.data);
    }
    expect(got.get(`metrics:${name},host=a`)).toMatchObject({ t, count: 2, sum: 4, min: 1, max: 3, last: 3 });
    expect(got.get(`metrics:${name},host=b,zone=eu`)).toMatchObject({ t, count: 1, sum: 10 });
    expect(got.get(`metrics:${name}`)).toMatchObject({ t, count: 3, sum: 14, min: 1, max: 10, last: 10 });
  });

  it('lists series in /api/channels and serves them from /api/history', async () => {
    const series = uniqueName('test.hist');
    const t = nextWindow();
    sys.service.publish(metricsSubject(series), JSON.stringify([{ value: 5, ts: t }, { value: 7, ts: t + 1000 }]));
    await sys.service.flush();

    const res = await eventually(async () => {
      const body = (await (await fetch(`${sys.hub.url}/api/history?ch=metrics:${series}`)).json()) as { messages: MessageFrame<Rollup>[] };
      return body.messages.length === 2 ? body : undefined;
    }, 8000, 150);
    expect(res.messages.map((m) => m.data.t)).toEqual([t, t + 1000]);
    expect(res.messages[0]!.seq).toBeLessThan(res.messages[1]!.seq!);

    const after = (await (await fetch(`${sys.hub.url}/api/history?ch=metrics:${series}&since=${res.messages[0]!.seq}`)).json()) as {
      ch: string;
      messages: MessageFrame<Rollup>[];
    };
    expect(after.ch).toBe(`metrics:${series}`);
    expect(after.messages.map((m) => m.seq)).toEqual([res.messages[1]!.seq]);

    const newest = (await (await fetch(`${sys.hub.url}/api/history?ch=metrics:${series}&limit=1`)).json()) as { messages: MessageFrame<Rollup>[] };
    expect(newest.messages.map((m) => m.data.t)).toEqual([t + 1000]);

    const channels = (await (await fetch(`${sys.hub.url}/api/channels`)).json()) as { metrics: { ch: string; series: string }[] };
    expect(channels.metrics).toContainEqual(expect.objectContaining({ ch: `metrics:${series}`, series }));
  });
});

