import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHubProcess, startTestNats, TestWsClient, testToken, type HubProcess, type TestNats } from '@pulse/hub/testing';
import type { MessageFrame } from '@pulse/hub/protocol';
import { eventually, uniqueName } from './helpers.js';

// "Is this person online, and when were they last seen?", from any hub, surviving restarts.

let nats: TestNats;
const hubs: HubProcess[] = [];
const env = { HUB_PRESENCE_GRACE_MS: '300' };

beforeAll(async () => {
  nats = await startTestNats();
  hubs.push(await startHubProcess(nats.url, env), await startHubProcess(nats.url, env));
});

afterAll(async () => {
  await Promise.allSettled(hubs.map((h) => h.stop()));
  await nats?.stop();
});

type Statuses = Record<string, { status: 'online' | 'offline'; lastSeen: number | null }>;

async function ask(hub: HubProcess, ids: string[], token?: string): Promise<{ status: number; body: unknown }> {
  const res = await fetch(`${hub.url}/api/presence?users=${ids.map(encodeURIComponent).join(',')}`, { headers: token ? { authorization: `Bearer ${token}` } : {} });
  return { status: res.status, body: await res.json() };
}

describe('GET /api/presence?users=', () => {
  it('says who is online on any hub, and when the others were last seen, after a restart too', async () => {
    const [a, b] = hubs as [HubProcess, HubProcess];
    const ada = uniqueName('ada');
    const asker = await testToken('viewer', uniqueName('asker'));
    const client = await TestWsClient.connect(`${a.wsUrl}?token=${await testToken('viewer', ada)}`);
    client.send({ type: 'subscribe', ch: `room:${uniqueName('r')}` });
    await client.next((f) => f.type === 'subscribed');

    const online = await eventually(async () => {
      const { body } = await ask(b, [ada, 'nobody-here'], asker);
      return (body as Statuses)[ada]?.status === 'online' ? (body as Statuses) : undefined;
    });
    expect(online['nobody-here']).toEqual({ status: 'offline', lastSeen: null });

    const leftAt = Date.now();
    await client.close();
    const offline = await eventually(async () => {
      const { body } = await ask(b, [ada], asker);
      return (body as Statuses)[ada]?.status === 'offline' ? (body as Statuses)[ada]! : undefined;
    });
    // Left, then the 300 ms grace: last seen when the leave was stored.
    expect(offline.lastSeen).toBeGreaterThanOrEqual(leftAt);
    expect(offline.lastSeen).toBeLessThanOrEqual(Date.now());

    await Promise.all(hubs.splice(0).map((h) => h.stop()));
    const fresh = await startHubProcess(nats.url, env);
    hubs.push(fresh);
    expect((await ask(fresh, [ada], asker)).body).toEqual({ [ada]: offline });
  });

  it('refuses anonymous callers, empty lists and more than 100 ids', async () => {
    const hub = hubs[0]!;
    const token = await testToken('viewer', uniqueName('asker'));
    expect((await ask(hub, ['x'])).status).toBe(403);
    expect((await ask(hub, [''], token)).status).toBe(400);
    expect((await ask(hub, Array.from({ length: 101 }, (_, i) => `u${i}`), token)).status).toBe(400);
    const hostile = (await ask(hub, ['__proto__', 'constructor'], token)).body as Statuses;
    expect(Object.keys(hostile).sort()).toEqual(['__proto__', 'constructor']);
  });

  it('lets a signed-in user watch one person live over status:<id>, without becoming present', async () => {
    const hub = hubs[0]!;
    const bea = uniqueName('bea');
    const watcherId = uniqueName('watcher');
    const watcher = await TestWsClient.connect(`${hub.wsUrl}?token=${await testToken('viewer', watcherId)}`);
    watcher.send({ type: 'subscribe', ch: `status:${bea}` });
    await watcher.next((f) => f.type === 'subscribed');
    const status = () => watcher.next<MessageFrame<{ status: string; lastSeen: number | null }>>((f) => f.type === 'message' && f.ch === `status:${bea}`);
    expect((await status()).data).toEqual({ status: 'offline', lastSeen: null });

    const client = await TestWsClient.connect(`${hub.wsUrl}?token=${await testToken('player', bea)}`);
    client.send({ type: 'subscribe', ch: `room:${uniqueName('r')}` });
    expect((await status()).data.status).toBe('online');
    await client.close();
    const offline = (await status()).data;
    expect(offline.status).toBe('offline');
    expect(offline.lastSeen).toBeGreaterThan(0);

    // The watcher is in no channel: not present, so not online.
    const asked = (await ask(hub, [watcherId], await testToken('viewer', uniqueName('asker')))).body as Statuses;
    expect(asked[watcherId]!.status).toBe('offline');
    const anonymous = await TestWsClient.connect(hub.wsUrl);
    anonymous.send({ type: 'subscribe', ch: `status:${bea}` });
    expect((await anonymous.next((f) => f.type === 'error')) as { code: string }).toMatchObject({ code: 'forbidden' });
    await Promise.all([watcher.close(), anonymous.close()]);
  });
});
