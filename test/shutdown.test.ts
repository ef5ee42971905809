import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHubProcess, startTestNats, TestSseClient, TestWsClient, type HubProcess, type TestNats } from '@pulse/hub/testing';
import type { ErrorFrame } from '@pulse/hub/protocol';
import { eventually, uniqueName } from './helpers.js';

let nats: TestNats;
let hub: HubProcess | undefined;

beforeAll(async () => {
  nats = await startTestNats();
});

afterAll(async () => {
  await hub?.stop();
  await nats?.stop();
});

describe('SIGTERM with clients connected', () => {
  it('runs every step of a clean stop at once: clients are told, and the hub exits well before its deadline', async () => {
    hub = await startHubProcess(nats.url);
    const ch = `room:${uniqueName('bye')}`;
    const ws = await TestWsClient.connect(hub.wsUrl);
    ws.send({ type: 'subscribe', ch });
    await ws.next((f) => f.type === 'subscribed');
    const sse = await TestSseClient.connect(hub.url, [ch]);
    await sse.next((f) => f.type === 'subscribed');

    const started = Date.now();
    await hub.stop();
    hub = undefined;
    // The forced exit comes after 4 s, and the test's stop sends SIGKILL after 3 s: a clean stop takes a fraction of either.
    expect(Date.now() - started).toBeLessThan(2_000);
    for (const client of [ws, sse]) {
      const bye = client.frames.find((f): f is ErrorFrame => f.type === 'error');
      expect(bye?.code).toBe('going_away');
      expect(bye?.message).toMatch(/reconnect now/);
    }
    expect(ws.closed?.code).toBe(1001);
    sse.cut();
  });

  it('fails its health check and refuses new sessions for HUB_DRAIN_MS, serving its own, then sends them away', async () => {
    hub = await startHubProcess(nats.url, { HUB_DRAIN_MS: '1500' });
    const stopping = hub;
    const ch = `room:${uniqueName('drain')}`;
    const ws = await TestWsClient.connect(stopping.wsUrl);
    ws.send({ type: 'subscribe', ch });
    await ws.next((f) => f.type === 'subscribed');
    expect((await fetch(`${stopping.url}/healthz`)).status).toBe(200);

    const stopped = stopping.stop();
    hub = undefined;
    await eventually(async () => ((await fetch(`${stopping.url}/healthz`)).status === 503 ? true : undefined), 1_000);
    const health = (await (await fetch(`${stopping.url}/healthz`)).json()) as { draining: boolean };
    expect(health.draining).toBe(true);
    const refused = await fetch(`${stopping.url}/api/poll?ch=${encodeURIComponent(ch)}`);
    expect(refused.status).toBe(503);
    expect(((await refused.json()) as { error: { code: string } }).error.code).toBe('going_away');
    // Its own session is still served while the balancer catches up.
    ws.send({ type: 'ping' });
    await ws.next((f) => f.type === 'pong', 1_000);
    expect(ws.closed).toBeUndefined();

    await stopped;
    expect(ws.frames.find((f): f is ErrorFrame => f.type === 'error')?.code).toBe('going_away');
    expect(ws.closed?.code).toBe(1001);
  });
});
