import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHubProcess, startTestNats, TestWsClient, type HubProcess, type TestNats } from '@pulse/hub/testing';
import { connectService, eventually, uniqueName } from './helpers.js';
import { metricsSubject } from '@pulse/hub/protocol';

let nats: TestNats;
let hub: HubProcess;

beforeAll(async () => {
  nats = await startTestNats();
  hub = await startHubProcess(nats.url);
});

afterAll(async () => {
  await hub?.stop();
  await nats?.stop();
});

const health = async () => {
  const res = await fetch(`${hub.url}/healthz`);
  return { status: res.status, body: (await res.json()) as { ok: boolean; nats: string } };
};

describe('/healthz', () => {
  it('answers 503 while NATS is unreachable and 200 again once it is back', async () => {
    expect(await health()).toMatchObject({ status: 200, body: { ok: true, nats: 'connected' } });
    const ws = await TestWsClient.connect(hub.wsUrl);

    await nats.halt();
    const down = await eventually(async () => {
      const h = await health();
      return h.status === 503 ? h : undefined;
    });
    expect(down.body).toMatchObject({ ok: false, nats: 'disconnected' });
    // Clients stay connected through the outage.
    ws.send({ type: 'ping' });
    await ws.next((f) => f.type === 'pong');

    nats = await startTestNats({ port: nats.port, dir: nats.dir });
    await eventually(async () => ((await health()).status === 200 ? true : undefined), 15_000);
    const metrics = await (await fetch(`${hub.url}/metrics`)).text();
    expect(metrics).toMatch(/^pulse_nats_reconnects_total [1-9]/m);
    expect(metrics).toMatch(/^pulse_sessions\{transport="ws"\} 1$/m);

    // The hub's live feed came back with the connection: new rollups reach the old session.
    const series = uniqueName('test.after_outage');
    ws.send({ type: 'subscribe', ch: `metrics:${series}` });
    await ws.next((f) => f.type === 'subscribed');
    const service = await connectService(nats.url);
    try {
      const message = eventually(async () => {
        service.publish(metricsSubject(series), '7');
        return ws.next((f) => f.type === 'message', 1000).catch(() => undefined);
      }, 20_000, 0);
      expect(await message).toMatchObject({ ch: `metrics:${series}`, data: { last: 7 } });
    } finally {
      await service.close();
    }
    await ws.close();
  });
});
