import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { notifySubject, type InboxData, type MessageFrame, type NotificationsPage } from '@pulse/hub/protocol';
import { testToken, TestPollClient, TestSseClient, TestWsClient, type HubProcess } from '@pulse/hub/testing';
import { eventually, sleep, uniqueName, useFleet } from './helpers.js';

// Inboxes with a real nats-server and two hubs: sending over NATS and HTTP,
// idempotent keys, privacy, race-free "mark all read", restarts.

const fleet = useFleet({ beforeAll, afterAll });
let a: HubProcess;
let b: HubProcess;
let serviceToken: string;
const closers: Array<() => Promise<unknown>> = [];

beforeAll(async () => {
  [a, b] = await Promise.all([fleet.startHub(), fleet.startHub()]);
  serviceToken = await testToken('service', 'notifier');
});

afterAll(async () => {
  for (const close of closers) await close().catch(() => undefined);
});

async function send(hub: HubProcess, body: Record<string, unknown>, token = serviceToken) {
  const res = await fetch(`${hub.url}/api/notifications`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> & { error?: { code: string; message: string } } };
}

async function call<T>(hub: HubProcess, path: string, token: string, init: RequestInit = {}) {
  const res = await fetch(`${hub.url}/api/notifications${path}`, { ...init, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' } });
  return { status: res.status, body: (await res.json()) as T };
}

async function person(role: 'viewer' | 'player' = 'player') {
  const id = uniqueName('u');
  return { id, token: await testToken(role, id, id) };
}

async function inbox(hub: HubProcess, token: string, ch: string) {
  const ws = await TestWsClient.connect(`${hub.wsUrl}?token=${token}`);
  closers.push(() => ws.close());
  ws.send({ type: 'subscribe', ch });
  return { ws, subscribed: await ws.next((f) => f.type === 'subscribed' || f.type === 'error') };
}

const messages = (ws: TestWsClient) => ws.frames.filter((f): f is MessageFrame<InboxData> => f.type === 'message');

describe('notifications', () => {
  it('arrive once on every open device of the person, on either hub, sent over NATS or HTTP, and are stored once', async () => {
    const ann = await person();
    const [onA, onB] = await Promise.all([inbox(a, ann.token, `inbox:${ann.id}`), inbox(b, ann.token, `inbox:${ann.id}`)]);
    fleet.service.publish(notifySubject(ann.id), JSON.stringify({ title: 'over NATS', kind: 'test' }));
    expect((await send(b, { user: ann.id, title: 'over HTTP', body: 'hello', data: { url: '/rooms/demo' } })).status).toBe(201);
    for (const { ws } of [onA, onB]) {
      await eventually(() => (messages(ws).length >= 2 ? true : undefined));
      await sleep(300);
      expect(messages(ws).map((m) => m.data.kind === 'notification' && m.data.notification.title).sort()).toEqual(['over HTTP', 'over NATS']);
    }
    const page = (await call<NotificationsPage>(a, '', ann.token)).body;
    expect(page.notifications.map((n) => n.title).sort()).toEqual(['over HTTP', 'over NATS']);
    expect(page.unread).toBe(2);
    expect(page.notifications.find((n) => n.title === 'over HTTP')).toMatchObject({ body: 'hello', data: { url: '/rooms/demo' }, read: false });
  });

  it('store a retried send with the same key once', async () => {
    const bob = await person();
    const first = await send(a, { user: bob.id, title: 'deploy done', key: 'deploy-42' });
    const again = await send(b, { user: bob.id, title: 'deploy done', key: 'deploy-42' });
    fleet.service.publish(notifySubject(bob.id), JSON.stringify({ title: 'deploy done', key: 'deploy-42' }));
    await fleet.service.flush();
    expect(first.status).toBe(201);
    expect(again).toMatchObject({ status: 200, body: { id: first.body.id, seq: first.body.seq, duplicate: true } });
    await sleep(500);
    expect((await call<NotificationsPage>(a, '', bob.token)).body.notifications).toHaveLength(1);
  });

  it('are seen by nobody but their person and admins, on any door', async () => {
    const cat = await person();
    await send(a, { user: cat.id, title: 'private' });
    const other = await person();
    const viewer = await person('viewer');
    const admin = await testToken('admin', 'root');
    for (const t of [other.token, viewer.token]) {
      expect((await call(a, `?user=${cat.id}`, t)).status).toBe(403);
      expect((await call(a, `/read-all?user=${cat.id}`, t, { method: 'POST', body: '{"upTo":1}' })).status).toBe(403);
      expect((await inbox(a, t, `inbox:${cat.id}`)).subscribed).toMatchObject({ type: 'error', code: 'forbidden' });
    }
    // Anonymous: no token at all.
    const anon = await TestWsClient.connect(a.wsUrl);
    closers.push(() => anon.close());
    anon.send({ type: 'subscribe', ch: `inbox:${cat.id}` });
    expect(await anon.next((f) => f.type === 'error')).toMatchObject({ code: 'forbidden' });
    expect((await fetch(`${a.url}/api/history?ch=inbox:${cat.id}`)).status).toBe(403);
    expect((await fetch(`${a.url}/api/notifications?user=${cat.id}`)).status).toBe(403);
    expect((await call(a, '', serviceToken)).status).toBe(403);
    // A viewer and an anonymous client may not send either.
    expect((await send(a, { user: cat.id, title: 'spoof' }, viewer.token)).status).toBe(403);
    expect((await call<NotificationsPage>(a, `?user=${cat.id}`, admin)).body.notifications.map((n) => n.title)).toEqual(['private']);
  });

  it('mark all read up to the newest one seen: one that arrives during the request stays unread, on every device', async () => {
    const dan = await person();
    const other = await inbox(b, dan.token, `inbox:${dan.id}`);
    const seen = (await send(a, { user: dan.id, title: 'seen' })).body.seq as number;
    await send(a, { user: dan.id, title: 'arrived meanwhile' });
    // The client says the newest it saw; a larger upTo is taken as the newest stored, never beyond.
    expect((await call(a, '/read-all', dan.token, { method: 'POST', body: JSON.stringify({ upTo: seen }) })).body).toEqual({ upTo: seen });
    let page = (await call<NotificationsPage>(b, '', dan.token)).body;
    expect(page.notifications.map((n) => [n.title, n.read])).toEqual([['arrived meanwhile', false], ['seen', true]]);
    expect(page.unread).toBe(1);
    await eventually(() => messages(other.ws).find((m) => m.data.kind === 'read-all'));
    expect(messages(other.ws).find((m) => m.data.kind === 'read-all')!.data).toEqual({ kind: 'read-all', upTo: seen });

    const big = await call<{ upTo: number }>(a, '/read-all', dan.token, { method: 'POST', body: JSON.stringify({ upTo: Number.MAX_SAFE_INTEGER }) });
    const later = await send(a, { user: dan.id, title: 'after' });
    expect(big.body.upTo).toBeLessThan(later.body.seq as number);
    page = (await call<NotificationsPage>(a, '', dan.token)).body;
    expect(page.notifications.filter((n) => !n.read).map((n) => n.title)).toEqual(['after']);

    const id = page.notifications[0]!.id;
    expect((await call(b, `/${id}/read`, dan.token, { method: 'POST' })).status).toBe(200);
    await eventually(() => messages(other.ws).find((m) => m.data.kind === 'read' && m.data.id === id));
    expect((await call<NotificationsPage>(a, '', dan.token)).body.unread).toBe(0);
    expect((await call(a, '/nope/read', dan.token, { method: 'POST' })).status).toBe(404);

    // With its seq, one read finds it; a seq of another notification, another person's or nothing is 404, a bad body 400.
    const fay = await person();
    const mine = (await send(a, { user: dan.id, title: 'by seq' })).body as { id: string; seq: number };
    const theirs = (await send(a, { user: fay.id, title: 'not yours' })).body as { id: string; seq: number };
    const mark = (id: string, body: string) => call(b, `/${id}/read`, dan.token, { method: 'POST', body });
    expect((await mark(mine.id, JSON.stringify({ seq: theirs.seq }))).status).toBe(404);
    expect((await mark(theirs.id, JSON.stringify({ seq: theirs.seq }))).status).toBe(404);
    expect((await mark(mine.id, JSON.stringify({ seq: 1e12 }))).status).toBe(404);
    for (const bad of ['{"seq":0}', '{"seq":"3"}', '{"seq":1.5}', '{not json', '[]']) expect((await mark(mine.id, bad)).status).toBe(400);
    expect((await mark(mine.id, JSON.stringify({ seq: mine.seq }))).status).toBe(200);
    page = (await call<NotificationsPage>(a, '', dan.token)).body;
    expect(page.notifications.find((n) => n.id === mine.id)!.read).toBe(true);
    expect((await call<NotificationsPage>(a, '', fay.token)).body.unread).toBe(1);
  });

  it('page newest first with before, and resume with since after being away', async () => {
    const eve = await person();
    for (let i = 1; i <= 5; i++) await send(a, { user: eve.id, title: `n${i}` });
    const first = (await call<NotificationsPage>(a, '?limit=2', eve.token)).body;
    expect(first.notifications.map((n) => n.title)).toEqual(['n5', 'n4']);
    const second = (await call<NotificationsPage>(a, `?limit=2&before=${first.next}`, eve.token)).body;
    expect(second.notifications.map((n) => n.title)).toEqual(['n3', 'n2']);
    const since = first.notifications[1]!.seq;
    const back = await TestWsClient.connect(`${b.wsUrl}?token=${eve.token}`);
    closers.push(() => back.close());
    back.send({ type: 'subscribe', ch: `inbox:${eve.id}`, since: second.notifications[0]!.seq });
    await eventually(() => (messages(back).length >= 2 ? true : undefined));
    expect(messages(back).map((m) => m.data.kind === 'notification' && m.data.notification.title)).toEqual(['n4', 'n5']);
    expect(messages(back)[0]!.seq).toBe(since);
  });

  it('resume over SSE and long-poll too, and those doors stay shut to others', async () => {
    const ivy = await person();
    const first = (await send(a, { user: ivy.id, title: 'before' })).body.seq as number;
    await send(a, { user: ivy.id, title: 'missed 1' });
    await send(b, { user: ivy.id, title: 'missed 2' });
    for (const open of [
      (ch: string[], token: string) => TestSseClient.connect(a.url, ch, { token }),
      (ch: string[], token: string) => TestPollClient.connect(b.url, ch, { token }),
    ]) {
      const c = await open([], ivy.token);
      closers.push(() => c.close());
      await c.send({ type: 'subscribe', ch: `inbox:${ivy.id}`, since: first });
      await eventually(() => (messages(c as unknown as TestWsClient).length >= 2 ? true : undefined));
      expect(messages(c as unknown as TestWsClient).map((m) => m.data.kind === 'notification' && m.data.notification.title)).toEqual(['missed 1', 'missed 2']);
      const other = await open([], (await person()).token);
      closers.push(() => other.close());
      await other.send({ type: 'subscribe', ch: `inbox:${ivy.id}`, since: 0 });
      expect(await other.next((f) => f.type === 'error')).toMatchObject({ code: 'forbidden' });
    }
  });

  it('refuse bad payloads with the reason, over HTTP and over NATS', async () => {
    const fay = await person();
    const cases: Array<[Record<string, unknown>, RegExp]> = [
      [{ title: 'no user' }, /user must be/],
      [{ user: fay.id }, /title must be/],
      [{ user: fay.id, title: 'x'.repeat(201) }, /title must be/],
      [{ user: fay.id, title: 't', body: 5 }, /body must be/],
      [{ user: fay.id, title: 't', kind: 'Bad Kind' }, /kind must match/],
      [{ user: fay.id, title: 't', data: [] }, /data must be an object/],
      [{ user: fay.id, title: 't', data: { blob: 'x'.repeat(5000) } }, /data must be at most/],
      [{ user: fay.id, title: 't', data: { url: 'javascript:alert(1)' } }, /data.url/],
      [{ user: fay.id, title: 't', key: '' }, /key must be/],
    ];
    for (const [body, reason] of cases) {
      const r = await send(a, body);
      expect(r.status, JSON.stringify(body).slice(0, 80)).toBe(400);
      expect(r.body.error!.message).toMatch(reason);
    }
    const before = await (await fetch(`${a.url}/metrics`)).text();
    const count = (text: string) => [...text.matchAll(/^pulse_bad_input_total\{source="nats_notify"\} (\d+)$/gm)].reduce((n, m) => n + Number(m[1]), 0);
    fleet.service.publish(notifySubject(fay.id), 'not json');
    fleet.service.publish(notifySubject(fay.id), JSON.stringify({ body: 'no title' }));
    await fleet.service.flush();
    await eventually(async () => {
      const now = count(await (await fetch(`${a.url}/metrics`)).text()) + count(await (await fetch(`${b.url}/metrics`)).text());
      return now >= count(before) + 2 ? true : undefined;
    });
    expect((await call<NotificationsPage>(a, '', fay.token)).body.notifications).toEqual([]);
  });

  it('come from an alert rule once when it fires and once when it resolves, with two hubs', async () => {
    const hal = await person();
    const series = uniqueName('alerting.latency');
    const alerts = (hub: HubProcess, init: RequestInit = {}, path = '') =>
      fetch(`${hub.url}/api/alerts${path}`, { ...init, headers: { authorization: `Bearer ${hal.token}`, 'content-type': 'application/json' } });
    const bad = await alerts(a, { method: 'POST', body: JSON.stringify({ series, stat: 'p42', op: '>', threshold: 1, for: 1 }) });
    expect(bad.status).toBe(400);
    expect((await fetch(`${a.url}/api/alerts`, { method: 'POST', body: '{}' })).status).toBe(403);
    const created = await alerts(a, { method: 'POST', body: JSON.stringify({ series, stat: 'max', op: '>', threshold: 50, for: 2 }) });
    expect(created.status).toBe(201);
    const { id } = (await created.json()) as { id: string };
    await eventually(async () => ((await (await alerts(b)).json()) as { rules: Array<{ id: string }> }).rules.some((r) => r.id === id) || undefined);

    const feed = async (value: number, ms: number) => {
      for (const end = Date.now() + ms; Date.now() < end; ) {
        fleet.service.publish(`metrics.${series}`, String(value));
        await sleep(100);
      }
    };
    await feed(100, 4_000);
    await feed(10, 3_000);
    const titles = async () => ((await call<NotificationsPage>(a, '', hal.token)).body.notifications.map((n) => n.title.split(':')[0]));
    await eventually(async () => ((await titles()).length >= 2 ? true : undefined), 10_000);
    await sleep(2_000);
    expect(await titles()).toEqual(['Resolved', 'Alert']);
    expect((await alerts(a, { method: 'DELETE' }, `/${id}`)).status).toBe(200);
    expect((await alerts(a, { method: 'DELETE' }, `/${id}`)).status).toBe(404);
  });

  it('are still there, read state and all, after both hubs restart', async () => {
    const gil = await person();
    const kept = (await send(a, { user: gil.id, title: 'kept' })).body.id as string;
    await send(a, { user: gil.id, title: 'unread' });
    await call(a, `/${kept}/read`, gil.token, { method: 'POST' });
    await Promise.all([a.stop(), b.stop()]);
    [a, b] = await Promise.all([fleet.startHub(), fleet.startHub()]);
    const page = (await call<NotificationsPage>(b, '', gil.token)).body;
    expect(page.notifications.map((n) => [n.title, n.read])).toEqual([['unread', false], ['kept', true]]);
    expect(page.unread).toBe(1);
  });
});
