import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHubProcess, startTestNats, TestSseClient, TestWsClient, type HubProcess, type TestNats } from '@pulse/hub/testing';
import type { ErrorFrame } from '@pulse/hub/protocol';
import { uniqueName } from './helpers.js';

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
      expect(bye?.code).toBe('overloaded');
      expect(bye?.message).toMatch(/shutting down/);
    }
    sse.cut();
  });
});
