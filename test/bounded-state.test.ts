import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestWsClient, testToken } from '@pulse/hub/testing';
import { eventually, sleep, uniqueName, useSystem } from './helpers.js';

// Room names come from clients: what the hub keeps for them must go when nobody here watches.
const sys = useSystem({ beforeAll, afterAll }, { HUB_ROOM_STATE_IDLE_MS: '500', HUB_ROOM_STATES_MAX: '50' });

const gauge = async (name: string) => Number(new RegExp(`^${name} (\\d+)$`, 'm').exec(await (await fetch(`${sys.hub.url}/metrics`)).text())?.[1]);

describe('state keyed by client input', () => {
  it('drops the room states of rooms nobody here watches, and keeps them bounded meanwhile', async () => {
    const kept = `room:${uniqueName('kept')}`;
    const honest = await TestWsClient.connect(sys.hub.wsUrl);
    honest.send({ type: 'subscribe', ch: kept });
    await honest.next((f) => f.type === 'subscribed');

    const roamer = await TestWsClient.connect(sys.hub.wsUrl);
    const names = Array.from({ length: 150 }, () => `room:${uniqueName('roam')}`);
    for (const ch of names) roamer.send({ type: 'subscribe', ch });
    for (const ch of names) await roamer.next((f) => f.type === 'subscribed' && f.ch === ch);
    for (const ch of names) roamer.send({ type: 'unsubscribe', ch });
    await roamer.close();

    // Idle ones go at the next sweep; only the watched room stays.
    expect(await eventually(async () => ((await gauge('pulse_room_states')) === 1 ? true : undefined), 5_000)).toBe(true);
    const metrics = await (await fetch(`${sys.hub.url}/metrics`)).text();
    expect(metrics).toMatch(/^pulse_room_states_evicted_total\{reason="(idle|count)"\} [1-9]/m);

    // The watched room still answers from its state.
    const late = await TestWsClient.connect(sys.hub.wsUrl);
    late.send({ type: 'subscribe', ch: kept });
    await late.next((f) => f.type === 'subscribed');
    await Promise.all([honest.close(), late.close()]);
  });

  it('times typing flags only for rooms someone here watches', async () => {
    const typist = await TestWsClient.connect(`${sys.hub.wsUrl}?token=${await testToken('player', uniqueName('typist'))}`);
    const unwatched = Array.from({ length: 20 }, () => `room:${uniqueName('typed')}`);
    for (const ch of unwatched) typist.send({ type: 'publish', ch, data: { kind: 'typing', on: true }, ref: ch });
    for (const ch of unwatched) await typist.next((f) => f.type === 'ack' && f.ref === ch);
    await sleep(200);
    expect(await gauge('pulse_typing_flags')).toBe(0);

    const watched = `room:${uniqueName('typed')}`;
    const watcher = await TestWsClient.connect(sys.hub.wsUrl);
    watcher.send({ type: 'subscribe', ch: watched });
    await watcher.next((f) => f.type === 'subscribed');
    typist.send({ type: 'publish', ch: watched, data: { kind: 'typing', on: true } });
    await watcher.next((f) => f.type === 'message' && (f.data as { kind?: string }).kind === 'typing');
    expect(await gauge('pulse_typing_flags')).toBe(1);
    await Promise.all([typist.close(), watcher.close()]);
  });
});
