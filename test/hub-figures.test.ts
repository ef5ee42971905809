import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HUB_FIGURES_CHANNEL, type ErrorFrame, type HubFigures, type MessageFrame } from '@pulse/hub/protocol';
import { startHubProcess, startTestNats, testToken, TestSseClient, TestWsClient, type HubProcess, type TestNats } from '@pulse/hub/testing';
import { eventually } from './helpers.js';

let nats: TestNats;
let a: HubProcess;
let b: HubProcess;
const clients: Array<{ close(): Promise<void> }> = [];

beforeAll(async () => {
  nats = await startTestNats();
  [a, b] = await Promise.all([startHubProcess(nats.url, { HUB_NAME: 'hub-a' }), startHubProcess(nats.url, { HUB_NAME: 'hub-b', HUB_OPS_PUBLIC: '1' })]);
});

afterAll(async () => {
  await Promise.allSettled(clients.map((c) => c.close()));
  await Promise.allSettled([a?.stop(), b?.stop()]);
  await nats?.stop();
});

const figuresOf = (frames: readonly unknown[], hub: string) =>
  (frames as MessageFrame<HubFigures>[]).filter((f) => f.type === 'message' && f.ch === HUB_FIGURES_CHANNEL && f.data.hub === hub).map((f) => f.data);

describe('ops:hubs', () => {
  it('shows every hub\'s figures on any hub, to admins, and to everyone where HUB_OPS_PUBLIC is set; a killed hub goes silent', async () => {
    // An admin on hub A sees both hubs, its own sessions counted.
    const admin = await TestWsClient.connect(`${a.wsUrl}?token=${await testToken('admin', 'ops-admin')}`);
    clients.push(admin);
    admin.send({ type: 'subscribe', ch: HUB_FIGURES_CHANNEL });
    await admin.next((f) => f.type === 'subscribed');
    const fromA = await eventually(() => figuresOf(admin.frames, 'hub-a').find((f) => f.sessions.ws >= 1), 5_000);
    expect(fromA).toMatchObject({ natsConnected: true, draining: false });
    expect(fromA.rssBytes).toBeGreaterThan(0);
    // Between them the two own every rollup partition, once their leases have settled.
    await eventually(() => {
      const [lastA, lastB] = [figuresOf(admin.frames, 'hub-a').at(-1), figuresOf(admin.frames, 'hub-b').at(-1)];
      return lastA && lastB && lastA.partitions + lastB.partitions === 32 ? true : undefined;
    }, 20_000);

    // A viewer may not on hub A; on hub B (HUB_OPS_PUBLIC=1) it may, over SSE too, and is greeted at once.
    const viewerA = await TestWsClient.connect(`${a.wsUrl}?token=${await testToken('viewer', 'ops-viewer')}`);
    clients.push(viewerA);
    viewerA.send({ type: 'subscribe', ch: HUB_FIGURES_CHANNEL });
    expect((await viewerA.next<ErrorFrame>((f) => f.type === 'error')).code).toBe('forbidden');
    admin.send({ type: 'subscribe', ch: 'ops:other', ref: 'other' });
    expect((await admin.next<ErrorFrame>((f) => f.type === 'error' && f.ref === 'other')).code).toBe('not_found');
    const sse = await TestSseClient.connect(b.url, [HUB_FIGURES_CHANNEL], { token: await testToken('viewer', 'ops-viewer') });
    clients.push(sse);
    const greeted = await sse.next<MessageFrame<HubFigures>>((f) => f.type === 'message', 1_500);
    expect(['hub-a', 'hub-b']).toContain(greeted.data.hub);

    // Once hub B is killed, its figures stop; hub A's keep coming.
    await b.kill('SIGKILL');
    const killedAt = Date.now();
    const seen = figuresOf(admin.frames, 'hub-b').length;
    await eventually(() => (figuresOf(admin.frames, 'hub-a').some((f) => f.at > killedAt + 2_000) ? true : undefined), 8_000);
    expect(figuresOf(admin.frames, 'hub-b').length).toBeLessThanOrEqual(seen + 1);
  }, 60_000);
});
