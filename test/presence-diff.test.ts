import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ChannelMembers, type AnyPresenceFrame } from '@pulse/hub/client';
import { TestWsClient, testToken } from '@pulse/hub/testing';
import { eventually, sleep, uniqueName, useSystem } from './helpers.js';

// A crowd arriving at once: one frame per interval per client with presence=diff, a frame per change without.
const sys = useSystem({ beforeAll, afterAll });
const clients: TestWsClient[] = [];
afterAll(async () => {
  await Promise.allSettled(clients.map((c) => c.close()));
});

const CROWD = 60;
const isPresence = (f: { type: string }): f is AnyPresenceFrame => f.type.startsWith('presence');

describe('presence of a crowd', () => {
  it('greets with one presence_state and tells each interval in one presence_diff, while legacy sessions get a frame per change', async () => {
    const ch = `room:${uniqueName('crowd')}`;
    const first = await TestWsClient.connect(`${sys.hub.wsUrl}?presence=diff&token=${await testToken('viewer', 'first')}`);
    const legacy = await TestWsClient.connect(`${sys.hub.wsUrl}?token=${await testToken('viewer', 'legacy')}`);
    clients.push(first, legacy);
    for (const c of [first, legacy]) {
      c.send({ type: 'subscribe', ch });
      await c.next((f) => f.type === 'subscribed');
    }
    const crowd = await Promise.all(
      Array.from({ length: CROWD }, async (_, i) => {
        const c = await TestWsClient.connect(`${sys.hub.wsUrl}?presence=diff&token=${await testToken('viewer', `crowd-${i}`)}`);
        c.send({ type: 'subscribe', ch });
        return c;
      }),
    );
    clients.push(...crowd);

    const everyone = ['first', 'legacy', ...Array.from({ length: CROWD }, (_, i) => `crowd-${i}`)].sort();
    const membersOf = (c: TestWsClient) => {
      const m = new ChannelMembers(ch);
      for (const f of c.frames) if (isPresence(f)) m.apply(f);
      return [...m.members.keys()].sort();
    };
    await eventually(() => (membersOf(first).length === everyone.length && membersOf(legacy).length === everyone.length ? true : undefined), 15_000);
    await sleep(300);
    expect(membersOf(first)).toEqual(everyone);
    expect(membersOf(legacy)).toEqual(everyone);
    // Sixty joins reached the first member in a handful of diffs; the legacy session got one frame each.
    expect(first.frames.filter(isPresence).every((f) => f.type === 'presence_state' || f.type === 'presence_diff')).toBe(true);
    expect(first.frames.filter(isPresence).length).toBeLessThan(CROWD / 3);
    expect(legacy.frames.filter((f) => f.type === 'presence').length).toBeGreaterThanOrEqual(CROWD);
    // A newcomer is greeted with everyone in one frame.
    const late = await TestWsClient.connect(`${sys.hub.wsUrl}?presence=diff&token=${await testToken('viewer', 'late')}`);
    clients.push(late);
    late.send({ type: 'subscribe', ch });
    const state = await late.next<AnyPresenceFrame>((f) => f.type === 'presence_state');
    expect(state.type === 'presence_state' && state.members.map((m) => m.id).sort()).toEqual(everyone);

    // Leaves come the same way: half the crowd goes, the first member sees it in a few frames.
    const before = first.frames.filter(isPresence).length;
    await Promise.all(crowd.slice(0, CROWD / 2).map((c) => c.close()));
    await eventually(() => (membersOf(first).length === everyone.length + 1 - CROWD / 2 ? true : undefined), 15_000);
    expect(first.frames.filter(isPresence).length - before).toBeLessThan(CROWD / 6);
  });
});
