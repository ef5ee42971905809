import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestWsClient } from '@pulse/hub/testing';
import { eventually, uniqueName, useSystem } from './helpers.js';

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
});
