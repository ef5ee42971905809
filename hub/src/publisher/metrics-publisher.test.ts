import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect, type Msg, type NatsConnection } from 'nats';
import { startTestNats, TEST_PASSWORDS, type TestNats } from '../testing/index.js';
import { MetricsPublisher } from './metrics-publisher.js';

let nats: TestNats;
let hub: NatsConnection;

beforeAll(async () => {
  nats = await startTestNats();
  hub = await connect({ servers: nats.url, user: 'hub', pass: TEST_PASSWORDS.hub, maxReconnectAttempts: -1, reconnectTimeWait: 100 });
});
afterAll(async () => {
  await hub?.close();
  await nats?.stop();
});

/** Every metrics message of `prefix` as the hub hears it: subject and parsed payload. */
function listen(prefix: string): Array<{ subject: string; values: number[] }> {
  const got: Array<{ subject: string; values: number[] }> = [];
  hub.subscribe(`metrics.${prefix}.>`, { callback: (_e, m: Msg) => got.push({ subject: m.subject, values: JSON.parse(m.string()) as number[] }) });
  return got;
}

const until = async (check: () => boolean, ms = 5_000) => {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error('condition not met');
    await new Promise((r) => setTimeout(r, 20));
  }
};

describe('MetricsPublisher', () => {
  it('sends one message per series per flush: counters summed, gauges last, every timing', async () => {
    const got = listen('pub1');
    await hub.flush();
    const metrics = await MetricsPublisher.connect({ servers: nats.url, pass: TEST_PASSWORDS.service, flushMs: 60_000 });
    metrics.count('pub1.requests', 1, { route: 'login' });
    metrics.count('pub1.requests', 2, { route: 'login' });
    metrics.gauge('pub1.queue', 5);
    metrics.gauge('pub1.queue', 7);
    for (const ms of [12, 15, 300]) metrics.timing('pub1.latency_ms', ms, { route: 'login', zone: 'eu' });
    await metrics.close();
    await until(() => got.length === 3);
    expect(got.sort((a, b) => a.subject.localeCompare(b.subject))).toEqual([
      { subject: 'metrics.pub1.latency_ms,route=login,zone=eu', values: [12, 15, 300] },
      { subject: 'metrics.pub1.queue', values: [7] },
      { subject: 'metrics.pub1.requests,route=login', values: [3] },
    ]);
    expect(metrics.stats).toEqual({ published: 5, dropped: 0, buffered: 0 });
  });

  it('refuses a name or value the contract cannot carry, at the call', async () => {
    const metrics = MetricsPublisher.over(hub);
    expect(() => metrics.gauge('bad name', 1)).toThrow(/must match/);
    expect(() => metrics.timing('ok.name', Number.NaN)).toThrow(/finite/);
    await metrics.close();
  });

  it('keeps samples while NATS is down, drops and counts past its bound, and sends the rest once NATS is back', async () => {
    const port = Number(new URL(nats.url).port);
    const metrics = await MetricsPublisher.connect({ servers: nats.url, pass: TEST_PASSWORDS.service, flushMs: 50, maxBuffered: 10 });
    await nats.kill();
    await new Promise((r) => setTimeout(r, 300));
    for (let i = 0; i < 15; i++) metrics.timing('pub2.latency_ms', i);
    metrics.count('pub2.requests');
    expect(metrics.stats).toEqual({ published: 0, dropped: 6, buffered: 10 });
    nats = await startTestNats({ port, dir: nats.dir });
    const got = listen('pub2');
    await until(() => got.length > 0, 15_000);
    await until(() => metrics.stats.buffered === 0, 5_000);
    await until(() => got.flatMap((g) => g.values).length === 10);
    expect(got.flatMap((g) => g.values)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(metrics.stats).toEqual({ published: 10, dropped: 6, buffered: 0 });
    await metrics.close();
  }, 30_000);
});
