import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import * as Y from 'yjs';
import { sign } from 'hono/jwt';
import { EventSource } from 'eventsource';
import { WebsocketProvider } from 'y-websocket';
import type { AckFrame, ErrorFrame, Role } from '@pulse/hub/protocol';
import { TEST_JWT_SECRET, TestWsClient, testToken } from '@pulse/hub/testing';
import { PulseClient, type ClientStatus, type EventSourceLike } from '@pulse/hub/client';
import { PulseDocProvider } from '@pulse/hub/collab';
import { eventually, sleep, uniqueName, useSystem } from './helpers.js';

// A session's rights change on a fresh token sent in an `auth` frame, without
// reconnecting: its role and its expiry. HUB_WORKERS=2, so the SSE client's
// commands (the auth frame among them) may reach the worker that holds its
// session through the other one.

const sys = useSystem({ beforeAll, afterAll }, { HUB_WORKERS: '2' });
const closers: Array<() => unknown> = [];

afterAll(async () => {
  for (const close of closers) await Promise.resolve(close()).catch(() => undefined);
});

const now = () => Math.floor(Date.now() / 1000);

function tokenFor(sub: string, role: Role, ttlSeconds = 600): Promise<string> {
  return sign({ sub, name: sub, role, iat: now(), exp: now() + ttlSeconds }, TEST_JWT_SECRET, 'HS256');
}

function updateOf(text: string): string {
  const doc = new Y.Doc();
  doc.getText('notes').insert(0, text);
  return Buffer.from(Y.encodeStateAsUpdate(doc)).toString('base64');
}

describe('rights that change on a live session', () => {
  it('a viewer given a player token writes the document, given a viewer token again is refused, and a token of someone else or a bad one changes nothing', async () => {
    const name = uniqueName('notes');
    const who = uniqueName('ann');
    const ws = await TestWsClient.connect(`${sys.hub.wsUrl}?token=${await tokenFor(who, 'viewer')}`);
    closers.push(() => ws.close());
    ws.send({ type: 'subscribe', ch: `doc:${name}`, ref: 's' });
    await ws.next((f) => f.type === 'subscribed');
    const publish = (ref: string, text: string) => {
      ws.send({ type: 'publish', ch: `doc:${name}`, data: { kind: 'update', update: updateOf(text) }, ref });
      return ws.next<AckFrame | ErrorFrame>((f) => 'ref' in f && f.ref === ref);
    };
    expect(await publish('p1', 'as viewer')).toMatchObject({ type: 'error', code: 'forbidden' });

    ws.send({ type: 'auth', token: await tokenFor(who, 'player'), ref: 'a1' });
    expect(await ws.next((f) => 'ref' in f && f.ref === 'a1')).toEqual({ type: 'ack', ref: 'a1', user: { id: who, name: who, role: 'player' } });
    expect(await publish('p2', 'as player')).toEqual({ type: 'ack', ref: 'p2' });

    // Someone else's token, a forged one and a malformed frame are refused; the session keeps its rights.
    ws.send({ type: 'auth', token: await tokenFor(uniqueName('bob'), 'admin'), ref: 'a2' });
    expect(await ws.next((f) => 'ref' in f && f.ref === 'a2')).toMatchObject({ type: 'error', code: 'forbidden' });
    ws.send({ type: 'auth', token: (await tokenFor(who, 'admin')).slice(0, -3) + 'abc', ref: 'a3' });
    expect(await ws.next((f) => 'ref' in f && f.ref === 'a3')).toMatchObject({ type: 'error', code: 'unauthorized' });
    ws.send({ type: 'auth', token: 42, ref: 'a4' });
    expect(await ws.next((f) => 'ref' in f && f.ref === 'a4')).toMatchObject({ type: 'error', code: 'bad_request' });
    expect(await publish('p3', 'still player')).toEqual({ type: 'ack', ref: 'p3' });

    ws.send({ type: 'auth', token: await tokenFor(who, 'viewer'), ref: 'a5' });
    expect(await ws.next((f) => 'ref' in f && f.ref === 'a5')).toMatchObject({ type: 'ack', user: { role: 'viewer' } });
    expect(await publish('p4', 'viewer again')).toMatchObject({ type: 'error', code: 'forbidden' });

    // A y-websocket provider reads what the player wrote and nothing the viewer tried.
    const doc = new Y.Doc();
    const p = new WebsocketProvider(`ws://127.0.0.1:${sys.hub.port}/yjs`, name, doc, {
      WebSocketPolyfill: WebSocket as unknown as typeof globalThis.WebSocket,
      params: { token: await testToken('viewer', uniqueName('reader')) },
      disableBc: true,
    });
    closers.push(() => p.destroy());
    await eventually(() => (p.synced && doc.getText('notes').length > 0 ? true : undefined));
    const text = doc.getText('notes').toString();
    expect(text).toContain('as player');
    expect(text).toContain('still player');
    expect(text).not.toContain('viewer');
    expect(ws.closed).toBeUndefined();
  });

  it('leaves the channels a new token may not read, and keeps the rest', async () => {
    const who = uniqueName('op');
    const ws = await TestWsClient.connect(`${sys.hub.wsUrl}?token=${await tokenFor(who, 'admin')}`);
    closers.push(() => ws.close());
    ws.send({ type: 'subscribe', ch: 'ops:hubs', ref: 'o' });
    ws.send({ type: 'subscribe', ch: 'metrics:cpu', ref: 'm' });
    await ws.next((f) => f.type === 'subscribed' && f.ch === 'ops:hubs');
    await ws.next((f) => f.type === 'subscribed' && f.ch === 'metrics:cpu');
    await ws.next((f) => f.type === 'message' && f.ch === 'ops:hubs', 5_000);
    ws.send({ type: 'auth', token: await tokenFor(who, 'viewer'), ref: 'down' });
    const left = await ws.next<ErrorFrame>((f) => f.type === 'error' && f.ch === 'ops:hubs');
    expect(left.code).toBe('forbidden');
    await ws.next((f) => 'ref' in f && f.ref === 'down' && f.type === 'ack');
    const mark = ws.frames.length;
    await sleep(2_500);
    expect(ws.frames.slice(mark).some((f) => f.type === 'message' && f.ch === 'ops:hubs')).toBe(false);
    // metrics:cpu is still held: unsubscribing it is acknowledged and a resubscribe is not refused.
    ws.send({ type: 'subscribe', ch: 'metrics:cpu', ref: 'again' });
    expect(await ws.next((f) => 'ref' in f && f.ref === 'again')).toMatchObject({ type: 'subscribed' });
  });

  it('a fresh token before the old one expires keeps an SSE session and its document open past that expiry', async () => {
    const name = uniqueName('pad');
    const who = uniqueName('sam');
    const client = new PulseClient({
      url: sys.hub.url,
      transports: ['sse'],
      token: await tokenFor(who, 'player', 3),
      eventSource: (u) => new EventSource(u) as unknown as EventSourceLike,
    });
    const statuses: ClientStatus[] = [];
    client.onStatus((s) => statuses.push(s));
    const doc = new Y.Doc();
    const errors: string[] = [];
    const provider = new PulseDocProvider(client, name, doc, { onError: (e) => errors.push(e) });
    closers.push(() => {
      provider.destroy();
      client.close();
    });
    await eventually(() => (provider.synced ? true : undefined));
    doc.getText('notes').insert(0, 'first ');
    await client.authorize(await tokenFor(who, 'player', 600));
    // Past the first token's end: the session is the same, and its commands (publishes) still pass.
    await sleep(4_500);
    doc.getText('notes').insert(6, 'second');
    const reader = await TestWsClient.connect(`${sys.hub.wsUrl}?token=${await testToken('viewer', uniqueName('r'))}`);
    closers.push(() => reader.close());
    reader.send({ type: 'subscribe', ch: `doc:${name}` });
    const mirror = new Y.Doc();
    await eventually(() => {
      for (const f of reader.frames.splice(0)) {
        if (f.type === 'message' && (f.data as { kind: string }).kind === 'update') Y.applyUpdate(mirror, Buffer.from((f.data as { update: string }).update, 'base64'));
      }
      return mirror.getText('notes').toString() === 'first second' ? true : undefined;
    }, 10_000);
    expect(errors).toEqual([]);
    // Never reconnected: open from the first welcome on.
    const opened = statuses.findIndex((s) => s.state === 'open');
    expect(statuses.slice(opened).every((s) => s.state === 'open')).toBe(true);
    expect(statuses.some((s) => s.error?.code === 'unauthorized')).toBe(false);
    // A viewer token makes the document read-only for this client at once: its next edit is refused.
    await client.authorize(await tokenFor(who, 'viewer', 600));
    expect(client.status.user?.role).toBe('viewer');
    doc.getText('notes').insert(0, 'no ');
    await eventually(() => (errors.length > 0 ? true : undefined));
    expect(errors[0]).toMatch(/^role viewer may read documents, not w/);
  });

  it('a refused token leaves an SSE session as it was: its next commands still pass', async () => {
    const client = new PulseClient({ url: sys.hub.url, transports: ['sse'], eventSource: (u) => new EventSource(u) as unknown as EventSourceLike });
    closers.push(() => client.close());
    const statuses: ClientStatus[] = [];
    client.onStatus((s) => statuses.push(s));
    await eventually(() => (client.status.state === 'open' ? true : undefined));
    const anonymous = client.status.user!;
    // An anonymous session given a person's token: someone else, so refused.
    await expect(client.authorize(await tokenFor(uniqueName('kim'), 'player'))).rejects.toMatchObject({ code: 'forbidden' });
    const got: number[] = [];
    client.subscribe('metrics:cpu', () => undefined, { onSubscribed: (f) => got.push(f.seq) });
    await eventually(() => (got.length > 0 ? true : undefined), 5_000);
    expect(client.status.user).toEqual(anonymous);
    const opened = statuses.findIndex((s) => s.state === 'open');
    expect(statuses.slice(opened).every((s) => s.state === 'open')).toBe(true);
  });

  it('without a fresh token the session still ends when its token does', async () => {
    const ws = await TestWsClient.connect(`${sys.hub.wsUrl}?token=${await tokenFor(uniqueName('late'), 'viewer', 2)}`);
    const err = await ws.next<ErrorFrame>((f) => f.type === 'error', 5_000);
    expect(err.code).toBe('unauthorized');
    await eventually(() => ws.closed);
  });
});
