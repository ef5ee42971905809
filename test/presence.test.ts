import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect, StringCodec, type NatsConnection } from 'nats';
import type { PresenceCountFrame, PresenceFrame, ServerFrame, WelcomeFrame } from '@pulse/hub/protocol';
import { startHubProcess, TEST_PASSWORDS, TestWsClient, testToken, type HubProcess } from '@pulse/hub/testing';
import { eventually, sleep, uniqueName, useSystem } from './helpers.js';
import { presenceSubject, roomSubject } from '@pulse/hub/protocol';

const GRACE_MS = 1_500;
const COUNT_ABOVE = 3;
const env = { HUB_PRESENCE_GRACE_MS: String(GRACE_MS), HUB_PRESENCE_COUNT_ABOVE: String(COUNT_ABOVE) };
const sys = useSystem({ beforeAll, afterAll }, env);
const sc = StringCodec();
const clients: TestWsClient[] = [];
const hubs: HubProcess[] = [];
let hubB: HubProcess;
let observer: NatsConnection;

beforeAll(async () => {
  hubB = await startHubProcess(sys.nats.url, env);
  hubs.push(hubB);
  observer = await connect({ servers: sys.nats.url, user: 'observer', pass: TEST_PASSWORDS.observer });
});

afterAll(async () => {
  await Promise.allSettled(clients.map((c) => c.close()));
  await observer?.close();
  await Promise.allSettled(hubs.map((h) => h.stop()));
});

/** A signed-in user's tab on a hub, subscribed to `ch` (and waited for). */
async function tab(hub: HubProcess, id: string, ch: string, role: 'viewer' | 'player' = 'viewer'): Promise<TestWsClient> {
  const c = await TestWsClient.connect(`${hub.wsUrl}?token=${await testToken(role, id, `User ${id}`)}`);
  clients.push(c);
  c.send({ type: 'subscribe', ch });
  await c.next((f) => f.type === 'subscribed');
  return c;
}

const presence = (c: TestWsClient) =>
  c.frames.filter((f): f is PresenceFrame => f.type === 'presence').map((f) => `${f.event} ${f.member.id}`);

async function members(hub: HubProcess, ch: string, query = ''): Promise<{ count: number; members: Array<{ id: string; sessions: number }>; next?: string }> {
  const res = await fetch(`${hub.url}/api/presence?ch=${encodeURIComponent(ch)}${query}`);
  expect(res.status).toBe(200);
  return (await res.json()) as { count: number; members: Array<{ id: string; sessions: number }>; next?: string };
}

describe('presence', () => {
  it('counts a user with several tabs once, on every hub, and says how many sessions they have', async () => {
    const ch = `room:${uniqueName('p')}`;
    const watcher = await tab(hubB, 'watcher', ch);
    await tab(sys.hub, 'ann', ch);
    const second = await tab(hubB, 'ann', ch);
    await eventually(async () => ((await members(sys.hub, ch)).members.find((m) => m.id === 'ann')?.sessions === 2 ? true : undefined));
    for (const hub of [sys.hub, hubB]) {
      const seen = await eventually(async () => {
        const list = (await members(hub, ch)).members.map((m) => `${m.id}:${m.sessions}`);
        return list.length === 2 && list[0] === 'ann:2' ? list : undefined;
      });
      expect(seen).toEqual(['ann:2', 'watcher:1']);
    }
    await second.close();
    await sleep(GRACE_MS + 500);
    expect(presence(watcher).filter((p) => p.endsWith('ann'))).toEqual(['join ann']);
  });

  it('greets a new subscriber with the members already there, right after subscribed', async () => {
    const ch = `metrics:${uniqueName('p')}`;
    await tab(sys.hub, 'ann', ch);
    await tab(hubB, 'bob', ch);
    await eventually(async () => ((await members(sys.hub, ch)).count === 2 ? true : undefined));
    const late = await tab(sys.hub, 'cyd', ch);
    await late.next((f) => f.type === 'presence' && f.member.id === 'ann');
    await late.next((f) => f.type === 'presence' && f.member.id === 'bob');
    const first = late.frames.findIndex((f) => f.type === 'subscribed');
    const after = late.frames.slice(first + 1, first + 3) as PresenceFrame[];
    expect(after.map((f) => `${f.type} ${f.event} ${f.member.id}`).sort()).toEqual(['presence join ann', 'presence join bob']);
  });

  it('shows a join on one hub to subscribers on another within a second', async () => {
    const ch = `room:${uniqueName('p')}`;
    const watcher = await tab(hubB, 'watcher', ch);
    const started = Date.now();
    await tab(sys.hub, 'ann', ch);
    await watcher.next((f) => f.type === 'presence' && f.member.id === 'ann' && f.event === 'join', 1_000);
    expect(Date.now() - started).toBeLessThan(1_000);
  });

  it('announces neither leave nor join when a user reconnects within the grace, on another hub', async () => {
    const ch = `room:${uniqueName('p')}`;
    const watcher = await tab(sys.hub, 'watcher', ch);
    const ann = await tab(sys.hub, 'ann', ch);
    await watcher.next((f) => f.type === 'presence' && f.member.id === 'ann');
    ann.cut();
    await sleep(GRACE_MS / 3);
    await tab(hubB, 'ann', ch);
    await sleep(GRACE_MS + 1_000);
    expect(presence(watcher).filter((p) => p.endsWith('ann'))).toEqual(['join ann']);
    expect((await members(sys.hub, ch)).members.find((m) => m.id === 'ann')?.sessions).toBe(1);
  });

  it('announces a leave once the grace has passed without any session', async () => {
    const ch = `room:${uniqueName('p')}`;
    const watcher = await tab(hubB, 'watcher', ch);
    const ann = await tab(sys.hub, 'ann', ch);
    await watcher.next((f) => f.type === 'presence' && f.member.id === 'ann');
    const left = Date.now();
    await ann.close();
    await watcher.next((f) => f.type === 'presence' && f.member.id === 'ann' && f.event === 'leave', GRACE_MS + 3_000);
    expect(Date.now() - left).toBeGreaterThanOrEqual(GRACE_MS - 50);
    expect((await members(hubB, ch)).members.map((m) => m.id)).toEqual(['watcher']);
  });

  it('publishes each change once on NATS, for services and for game servers, however many hubs run', async () => {
    const room = uniqueName('p');
    const ch = `room:${room}`;
    const seen: string[] = [];
    const subs = [observer.subscribe(presenceSubject(ch)), observer.subscribe(roomSubject(room, 'presence'))];
    for (const sub of subs) {
      void (async () => {
        for await (const m of sub) {
          const p = JSON.parse(sc.decode(m.data)) as { event: string; member: { id: string } };
          seen.push(`${m.subject} ${p.event} ${p.member.id}`);
        }
      })();
    }
    await observer.flush();
    const ann = await tab(sys.hub, 'ann', ch, 'player');
    await sleep(500);
    await ann.close();
    await sleep(GRACE_MS + 1_000);
    expect(seen.sort()).toEqual([
      `presence.${ch} join ann`,
      `presence.${ch} leave ann`,
      `rooms.${room}.presence join ann`,
      `rooms.${room}.presence leave ann`,
    ]);
    for (const s of subs) s.unsubscribe();
  });

  it('lists anonymous viewers as members, each with their generated id', async () => {
    const ch = `room:${uniqueName('p')}`;
    const anon = await TestWsClient.connect(sys.hub.wsUrl);
    clients.push(anon);
    const welcome = anon.frames.find((f): f is WelcomeFrame => f.type === 'welcome')!;
    anon.send({ type: 'subscribe', ch });
    await eventually(async () => ((await members(hubB, ch)).count === 1 ? true : undefined));
    expect((await members(hubB, ch)).members).toEqual([{ ...welcome.user, sessions: 1 }]);
  });

  it('switches a large channel to counts at most once a second, and pages its members', async () => {
    const ch = `metrics:${uniqueName('p')}`;
    const watcher = await tab(sys.hub, 'watcher', ch);
    for (let i = 0; i < 6; i++) await tab(i % 2 ? hubB : sys.hub, `u${i}`, ch);
    const counted = await watcher.next<PresenceCountFrame>((f) => f.type === 'presence_count' && f.count === 7, 5_000);
    expect(counted.ch).toBe(ch);
    const joins = presence(watcher);
    // Joins only while the channel was small: the watcher, then members up to the threshold.
    expect(joins.length).toBeLessThanOrEqual(COUNT_ABOVE);
    const counts = watcher.frames.filter((f): f is PresenceCountFrame => f.type === 'presence_count');
    expect(counts.length).toBeLessThanOrEqual(3);

    const late = await tab(hubB, 'late', ch);
    await late.next((f) => f.type === 'presence_count');
    const greeting = late.frames.filter((f: ServerFrame) => f.type === 'presence' || f.type === 'presence_count');
    expect(greeting[0]).toMatchObject({ type: 'presence_count', ch });

    // The late join reaches the other hub through the bucket: wait for it there.
    const page1 = await eventually(async () => {
      const p = await members(sys.hub, ch, '&limit=5');
      return p.count === 8 ? p : undefined;
    });
    expect(page1.members).toHaveLength(5);
    const page2 = await members(sys.hub, ch, `&limit=5&after=${page1.next}`);
    expect([...page1.members, ...page2.members].map((m) => m.id)).toEqual(['late', 'u0', 'u1', 'u2', 'u3', 'u4', 'u5', 'watcher']);
    expect(page2.next).toBeUndefined();
  });

  it('takes a SIGKILLed hub’s members away within 30 s on the other hubs', async () => {
    const ch = `room:${uniqueName('p')}`;
    const doomed = await startHubProcess(sys.nats.url, env);
    hubs.push(doomed);
    const watcher = await tab(sys.hub, 'watcher', ch);
    await tab(doomed, 'ann', ch);
    await watcher.next((f) => f.type === 'presence' && f.member.id === 'ann' && f.event === 'join');
    const killed = Date.now();
    await doomed.kill('SIGKILL');
    await watcher.next((f) => f.type === 'presence' && f.member.id === 'ann' && f.event === 'leave', 30_000);
    expect(Date.now() - killed).toBeLessThan(30_000);
    expect(await eventually(async () => ((await members(hubB, ch)).count === 1 ? (await members(hubB, ch)).members.map((m) => m.id) : undefined))).toEqual(['watcher']);
  }, 40_000);
});
