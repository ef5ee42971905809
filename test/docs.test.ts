import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import * as Y from 'yjs';
import { WebsocketProvider } from 'y-websocket';
import { Awareness, encodeAwarenessUpdate } from 'y-protocols/awareness';
import { DOC_UPDATE_MAX_BYTES, type DocData, type MessageFrame } from '@pulse/hub/protocol';
import { testToken, TestSseClient, TestWsClient, type HubProcess } from '@pulse/hub/testing';
import { EventSource } from 'eventsource';
import * as encoding from 'lib0/encoding';
import { PulseClient, type EventSourceLike, type WebSocketLike } from '@pulse/hub/client';
import { PulseDocProvider } from '@pulse/hub/collab';
import { eventually, sleep, uniqueName, useFleet } from './helpers.js';

// Shared documents: unmodified y-websocket providers on two hubs, a Pulse
// client over SSE, permissions, compaction and awareness.

const fleet = useFleet({ beforeAll, afterAll });
let a: HubProcess;
let b: HubProcess;
const closers: Array<() => unknown> = [];

beforeAll(async () => {
  [a, b] = await Promise.all([fleet.startHub(), fleet.startHub()]);
});

afterAll(async () => {
  for (const close of closers) await Promise.resolve(close()).catch(() => undefined);
});

/** A y-websocket provider that knows nothing of Pulse but its URL and a token. */
async function provider(hub: HubProcess, name: string, role: 'player' | 'viewer' = 'player') {
  const doc = new Y.Doc();
  const p = new WebsocketProvider(`ws://127.0.0.1:${hub.port}/yjs`, name, doc, {
    WebSocketPolyfill: WebSocket as unknown as typeof globalThis.WebSocket,
    params: { token: await testToken(role, uniqueName(role)) },
    disableBc: true,
  });
  closers.push(() => {
    p.destroy();
    doc.destroy();
  });
  await eventually(() => (p.synced ? true : undefined), 10_000);
  return { doc, p, text: doc.getText('notes') };
}

describe('documents', () => {
  it('converge for y-websocket providers on two hubs and a Pulse client over SSE, edited at once', async () => {
    const name = uniqueName('notes');
    const one = await provider(a, name);
    const two = await provider(b, name);
    one.text.insert(0, 'hello ');
    two.text.insert(0, 'world');
    // A Pulse client reads the same document over SSE and writes to it.
    const token = await testToken('player', uniqueName('sse'));
    const sse = await TestSseClient.connect(a.url, [`doc:${name}`], { token });
    closers.push(() => sse.close());
    const mirror = new Y.Doc();
    const apply = () => {
      for (const f of sse.frames) {
        const d = f.type === 'message' ? (f as MessageFrame<DocData>).data : undefined;
        if (d?.kind === 'update') Y.applyUpdate(mirror, Buffer.from(d.update, 'base64'));
      }
    };
    const local = new Y.Doc();
    Y.applyUpdate(local, Y.encodeStateAsUpdate(mirror));
    local.getText('notes').insert(0, '>> ');
    expect(await sse.send({ type: 'publish', ch: `doc:${name}`, data: { kind: 'update', update: Buffer.from(Y.encodeStateAsUpdate(local)).toString('base64') }, ref: 'p1' })).toBe(202);
    await eventually(() => {
      apply();
      const texts = [one.text.toString(), two.text.toString(), mirror.getText('notes').toString()];
      return new Set(texts).size === 1 && texts[0]!.includes('hello') && texts[0]!.includes('world') && texts[0]!.includes('>>') ? texts : undefined;
    }, 10_000);
  });

  it('sync through the client library\'s provider over SSE and long-poll with a y-websocket provider, awareness included', async () => {
    const name = uniqueName('pad');
    const ws = await provider(a, name);
    ws.p.awareness.setLocalStateField('user', { name: 'Web' });
    const pulse = await Promise.all(
      (['sse', 'poll'] as const).map(async (transport, i) => {
        const client = new PulseClient({
          url: (i === 0 ? a : b).url,
          transports: [transport],
          token: await testToken('player', uniqueName(transport)),
          eventSource: (u) => new EventSource(u) as unknown as EventSourceLike,
        });
        const doc = new Y.Doc();
        const p = new PulseDocProvider(client, name, doc);
        closers.push(() => {
          p.destroy();
          client.close();
        });
        await eventually(() => (p.synced ? true : undefined));
        p.awareness.setLocalStateField('user', { name: transport });
        doc.getText('notes').insert(0, `[${transport}]`);
        return { doc, p };
      }),
    );
    ws.text.insert(0, '[ws]');
    const texts = () => [ws.text.toString(), ...pulse.map((x) => x.doc.getText('notes').toString())];
    await eventually(() => (new Set(texts()).size === 1 && ['[ws]', '[sse]', '[poll]'].every((t) => texts()[0]!.includes(t)) ? true : undefined), 15_000);
    const names = (aw: { getStates(): Map<number, unknown> }) => [...aw.getStates().values()].map((s) => (s as { user?: { name: string } }).user?.name).filter(Boolean).sort();
    await eventually(() => (names(ws.p.awareness).join() === 'Web,poll,sse' ? true : undefined), 10_000);
    await eventually(() => (names(pulse[0]!.p.awareness).join() === 'Web,poll,sse' ? true : undefined), 10_000);
  });

  it('refuses updates that are not Yjs, and writes from read-only roles', async () => {
    const name = uniqueName('locked');
    const writer = await provider(a, name);
    const reader = await provider(b, name, 'viewer');
    // The viewer's edit stays in its own copy: the hub stores none of it, so the writer never sees it.
    reader.text.insert(0, 'vandalism');
    writer.text.insert(0, 'fine');
    await eventually(() => (reader.text.toString().includes('fine') ? true : undefined));
    await sleep(500);
    expect(writer.text.toString()).toBe('fine');
    // Over Pulse's own protocol: a viewer's publish and a non-update are refused with the reason.
    const viewer = await TestWsClient.connect(`${a.wsUrl}?token=${await testToken('viewer', uniqueName('v'))}`);
    const player = await TestWsClient.connect(`${a.wsUrl}?token=${await testToken('player', uniqueName('p'))}`);
    closers.push(() => viewer.close(), () => player.close());
    viewer.send({ type: 'publish', ch: `doc:${name}`, data: { kind: 'update', update: 'AAA=' }, ref: 'v' });
    expect(await viewer.next((f) => f.type === 'error')).toMatchObject({ code: 'forbidden' });
    // A reader still says where it is: its awareness is taken.
    const seen = new Awareness(new Y.Doc());
    seen.setLocalState({ user: { name: 'Vee' } });
    viewer.send({ type: 'publish', ch: `doc:${name}`, data: { kind: 'awareness', update: Buffer.from(encodeAwarenessUpdate(seen, [seen.clientID])).toString('base64') }, ref: 'va' });
    expect(await viewer.next((f) => 'ref' in f && f.ref === 'va')).toMatchObject({ type: 'ack' });
    await eventually(() => [...writer.p.awareness.getStates().values()].find((st) => (st as { user?: { name: string } }).user?.name === 'Vee'));
    player.send({ type: 'publish', ch: `doc:${name}`, data: { kind: 'update', update: Buffer.from('not a yjs update').toString('base64') }, ref: 'p' });
    expect(await player.next((f) => f.type === 'error')).toMatchObject({ code: 'bad_request' });
    // A raw y-websocket message that does not decode closes that connection only.
    const raw = new WebSocket(`ws://127.0.0.1:${a.port}/yjs/${name}?token=${await testToken('player', uniqueName('raw'))}`);
    await new Promise((r) => raw.once('open', r));
    raw.send(Buffer.from([0, 2, 5, 1, 2, 3, 4, 5]));
    const code = await new Promise<number>((r) => raw.once('close', (c) => r(c)));
    expect(code).toBe(1008);
    // A flood is cut off with rate_limited's close code.
    const flood = new WebSocket(`ws://127.0.0.1:${a.port}/yjs/${name}?token=${await testToken('player', uniqueName('flood'))}`);
    await new Promise((r) => flood.once('open', r));
    const closed = new Promise<number>((r) => flood.once('close', (c) => r(c)));
    for (let i = 0; i < 1_000 && flood.readyState === WebSocket.OPEN; i++) flood.send(Buffer.from([3]));
    expect(await closed).toBe(4429);
    writer.text.insert(4, '!');
    await eventually(() => (reader.text.toString().includes('fine!') ? true : undefined));
    expect(writer.text.toString()).toBe('fine!');
  });

  it('bounds a person\'s document connections, and cuts off a connection that sends more bytes than its budget', async () => {
    const name = uniqueName('hostile');
    const token = await testToken('player', uniqueName('greedy'));
    const url = `ws://127.0.0.1:${a.port}/yjs/${name}?token=${token}`;
    const open = (): Promise<WebSocket | number> =>
      new Promise((resolve) => {
        const ws = new WebSocket(url);
        ws.once('open', () => resolve(ws));
        ws.once('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
      });
    const held: WebSocket[] = [];
    closers.push(() => held.forEach((w) => w.close()));
    // HUB_MAX_SESSIONS_PER_USER (20) document connections, then 429 until one closes.
    for (let i = 0; i < 20; i++) held.push((await open()) as WebSocket);
    expect(await open()).toBe(429);
    const gone = new Promise((r) => held[0]!.once('close', r));
    held.shift()!.close();
    await gone;
    await eventually(async () => {
      const again = await open();
      if (typeof again === 'number') return undefined;
      held.push(again);
      return true;
    }, 5_000);

    // One edit of 10 MB is taken; a second of 15 MB right after is over the byte budget (16 MiB, then 1 MiB a
    // second), however long the hub took over the first (it would need 8 s to earn it): 4429.
    const flood = held.at(-1)!;
    const closed = new Promise<number>((r) => flood.once('close', (code) => r(code)));
    const big = (ch: string, bytes: number) => {
      const d = new Y.Doc();
      d.getText('notes').insert(0, ch.repeat(bytes));
      const e = encoding.createEncoder();
      encoding.writeVarUint(e, 0);
      encoding.writeVarUint(e, 2);
      encoding.writeVarUint8Array(e, Y.encodeStateAsUpdate(d));
      return encoding.toUint8Array(e);
    };
    const [one, two] = [big('a', 10_000_000), big('b', 15_000_000)];
    flood.send(one);
    flood.send(two);
    expect(await closed).toBe(4429);
  }, 60_000);

  it('compacts a document, and a late joiner gets the same text from the chunks', async () => {
    const name = uniqueName('long');
    const typist = await provider(a, name);
    for (let i = 0; i < 260; i++) {
      typist.text.insert(typist.text.length, `${i % 10}`);
      if (i % 20 === 0) await sleep(20);
    }
    const expected = typist.text.toString();
    // Compaction leaves far fewer messages than the 260 updates typed.
    const stored = await eventually(async () => {
      const res = await fetch(`${a.url}/api/history?ch=doc:${name}&limit=2000`, { headers: { authorization: `Bearer ${await testToken('viewer', 'counter')}` } });
      const n = ((await res.json()) as { messages: unknown[] }).messages.length;
      return n < 150 ? n : undefined;
    }, 15_000);
    expect(stored).toBeLessThan(150);
    const late = await provider(b, name);
    await eventually(() => (late.text.toString() === expected ? true : undefined));
  });

  it('resume with since after a cut, missing nothing', async () => {
    const name = uniqueName('resume');
    const writer = await provider(a, name);
    writer.text.insert(0, 'before ');
    const token = await testToken('viewer', uniqueName('reader'));
    const first = await TestWsClient.connect(`${b.wsUrl}?token=${token}`);
    first.send({ type: 'subscribe', ch: `doc:${name}` });
    await eventually(() => first.frames.find((f) => f.type === 'message' && (f as MessageFrame<DocData>).data.kind === 'update'));
    const mirror = new Y.Doc();
    const take = (frames: typeof first.frames) => {
      for (const f of frames) if (f.type === 'message' && (f as MessageFrame<DocData>).data.kind === 'update') Y.applyUpdate(mirror, Buffer.from((f as MessageFrame<DocData>).data.update, 'base64'));
    };
    await eventually(() => (take(first.frames), mirror.getText('notes').toString() === 'before ' ? true : undefined));
    const since = Math.max(...first.frames.filter((f) => f.type === 'message' && 'seq' in f && f.seq !== undefined).map((f) => (f as MessageFrame).seq!));
    first.cut();
    for (const word of ['during ', 'the ', 'cut']) writer.text.insert(writer.text.length, word);
    await sleep(300);
    const back = await TestWsClient.connect(`${a.wsUrl}?token=${token}`);
    closers.push(() => back.close());
    back.send({ type: 'subscribe', ch: `doc:${name}`, since });
    await eventually(() => (take(back.frames), mirror.getText('notes').toString() === 'before during the cut' ? true : undefined));
    // Only what came after `since`: nothing was sent twice.
    expect(back.frames.filter((f) => f.type === 'message' && (f as MessageFrame).seq !== undefined).every((f) => (f as MessageFrame).seq! > since)).toBe(true);
  });

  it('joins a document of several MB over ws, sse and long-poll without a liveness disconnect', async () => {
    const name = uniqueName('big');
    const writer = await provider(a, name);
    const line = 'x'.repeat(99) + '\n';
    // 3 MB in twenty edits of 150 KB.
    for (let i = 0; i < 20; i++) {
      writer.text.insert(writer.text.length, line.repeat(1_500));
      await sleep(50);
    }
    const size = writer.text.length;
    expect(size).toBe(3_000_000);
    const started = Date.now();
    const late = await provider(b, name);
    await eventually(() => (late.text.length === size ? true : undefined), 20_000);
    const viaWs = Date.now() - started;
    for (const transport of ['sse', 'poll'] as const) {
      const client = new PulseClient({ url: b.url, transports: [transport], token: await testToken('viewer', uniqueName(transport)), eventSource: (u) => new EventSource(u) as unknown as EventSourceLike });
      const statuses: string[] = [];
      client.onStatus((st) => statuses.push(st.state));
      const doc = new Y.Doc();
      const p = new PulseDocProvider(client, name, doc);
      closers.push(() => {
        p.destroy();
        client.close();
      });
      await eventually(() => (doc.getText('notes').length === size ? true : undefined), 30_000);
      // Open once and never lost on the way: the document came in pieces, with the session kept alive between them.
      expect(statuses.filter((st) => st === 'open')).toHaveLength(1);
    }
    console.log(`a 3 MB document joined over ws in ${viaWs} ms`);
  });

  it('takes an edit of several MB in one message from a y-websocket provider and a large one from the Pulse provider, stored in pieces, without a reconnect', async () => {
    const name = uniqueName('paste');
    const one = await provider(a, name);
    const two = await provider(b, name);
    const statuses: string[] = [];
    one.p.on('status', ({ status }: { status: string }) => statuses.push(status));
    // One paste is one Yjs update: 2 MB in a single y-websocket message.
    one.text.insert(0, 'pasted line\n'.repeat(180_000));
    const client = new PulseClient({ url: b.url, transports: ['ws'], token: await testToken('player', uniqueName('paster')), webSocket: (u) => new WebSocket(u) as unknown as WebSocketLike });
    const errors: string[] = [];
    const mine = new Y.Doc();
    const pulse = new PulseDocProvider(client, name, mine, { onError: (e) => errors.push(e) });
    closers.push(() => {
      pulse.destroy();
      client.close();
    });
    await eventually(() => (mine.getText('notes').length === 12 * 180_000 ? true : undefined), 30_000);
    // Larger than a client frame: the provider sends it as several updates.
    mine.getText('notes').insert(0, 'ŝpäce 😀'.repeat(40_000));
    const expected = 'ŝpäce 😀'.repeat(40_000) + 'pasted line\n'.repeat(180_000);
    await eventually(() => ([one, two].every((x) => x.text.toString() === expected) && mine.getText('notes').toString() === expected ? true : undefined), 30_000);
    expect(errors).toEqual([]);
    expect(statuses).not.toContain('disconnected');
    // No message of the document is over the limit a reader relies on.
    const res = await fetch(`${a.url}/api/history?ch=doc:${name}&limit=1000`, { headers: { authorization: `Bearer ${await testToken('viewer', 'sizer')}` } });
    const stored = ((await res.json()) as { messages: Array<{ data: DocData }> }).messages;
    expect(stored.length).toBeGreaterThan(10);
    expect(Math.max(...stored.map((m) => Buffer.from(m.data.update, 'base64').length))).toBeLessThanOrEqual(DOC_UPDATE_MAX_BYTES);
  });

  it('relays awareness between hubs, and drops a client\'s at once when it leaves', async () => {
    const name = uniqueName('cursors');
    const one = await provider(a, name);
    const two = await provider(b, name);
    one.p.awareness.setLocalStateField('user', { name: 'Ann', color: '#c00' });
    await eventually(() => [...two.p.awareness.getStates().values()].find((s) => (s as { user?: { name: string } }).user?.name === 'Ann'));
    one.p.destroy();
    await eventually(() => ([...two.p.awareness.getStates().values()].some((s) => (s as { user?: { name: string } }).user?.name === 'Ann') ? undefined : true), 3_000);
  });

  it('loses no edit when a hub is SIGKILLed mid-edit and comes back: its y-websocket and poll clients edit offline and converge', async () => {
    const name = uniqueName('killed');
    let c = await fleet.startHub();
    const port = c.port;
    const one = await provider(c, name);
    const two = await provider(b, name);
    const client = new PulseClient({ url: c.url, transports: ['poll'], token: await testToken('player', uniqueName('poller')) });
    const polled = new Y.Doc();
    const pulse = new PulseDocProvider(client, name, polled);
    closers.push(() => {
      pulse.destroy();
      client.close();
    });
    await eventually(() => (pulse.synced ? true : undefined));
    one.text.insert(0, '[one before]');
    two.text.insert(0, '[two before]');
    polled.getText('notes').insert(0, '[poll before]');
    const all = (...parts: string[]) => () => {
      const texts = [one.text.toString(), two.text.toString(), polled.getText('notes').toString()];
      return new Set(texts).size === 1 && parts.every((p) => texts[0]!.includes(p)) ? texts[0] : undefined;
    };
    await eventually(all('[one before]', '[two before]', '[poll before]'), 10_000);

    await c.kill('SIGKILL');
    // Typed while the hub is gone: kept by each client and sent when it is back.
    one.text.insert(0, '[one offline]');
    polled.getText('notes').insert(0, '[poll offline]');
    two.text.insert(0, '[two meanwhile]');
    await sleep(500);
    c = await fleet.startHub({ PORT: String(port) });
    const text = await eventually(all('[one before]', '[two before]', '[poll before]', '[one offline]', '[poll offline]', '[two meanwhile]'), 30_000);
    expect(text).toHaveLength('[one before][two before][poll before][one offline][poll offline][two meanwhile]'.length);
  }, 60_000);

  it('ends a Pulse person\'s cursor when they leave the document, after presence\'s grace, and tells no newcomer of a state that lapsed', async () => {
    const name = uniqueName('lapse');
    const watcher = await provider(b, name);
    const names = (aw: { getStates(): Map<number, unknown> }) => [...aw.getStates().values()].map((s) => (s as { user?: { name: string } }).user?.name).filter(Boolean);
    // A y-websocket client that says where it is once and never again, and stays connected.
    const stale = new WebSocket(`ws://127.0.0.1:${a.port}/yjs/${name}?token=${await testToken('viewer', uniqueName('stale'))}`);
    closers.push(() => stale.close());
    await new Promise((r) => stale.once('open', r));
    const staleSince = Date.now();
    const once = new Awareness(new Y.Doc());
    once.setLocalState({ user: { name: 'Stale' } });
    const e = encoding.createEncoder();
    encoding.writeVarUint(e, 1);
    encoding.writeVarUint8Array(e, encodeAwarenessUpdate(once, [once.clientID]));
    stale.send(encoding.toUint8Array(e));
    once.destroy();
    await eventually(() => (names(watcher.p.awareness).includes('Stale') ? true : undefined));

    // A Pulse session's cursor, then the session cut off without a word.
    const pia = await TestWsClient.connect(`${a.wsUrl}?token=${await testToken('player', uniqueName('pia'))}`);
    pia.send({ type: 'subscribe', ch: `doc:${name}`, ref: 's' });
    await pia.next((f) => f.type === 'subscribed');
    const mine = new Awareness(new Y.Doc());
    mine.setLocalState({ user: { name: 'Pia' } });
    pia.send({ type: 'publish', ch: `doc:${name}`, data: { kind: 'awareness', update: Buffer.from(encodeAwarenessUpdate(mine, [mine.clientID])).toString('base64') }, ref: 'aw' });
    mine.destroy();
    await eventually(() => (names(watcher.p.awareness).includes('Pia') ? true : undefined));
    const cut = Date.now();
    pia.cut();
    // Gone once presence's grace (5 s) is over: well before y-protocols' own 30 s timeout.
    await eventually(() => (names(watcher.p.awareness).includes('Pia') ? undefined : true), 15_000);
    expect(Date.now() - cut).toBeGreaterThanOrEqual(4_000);
    expect(Date.now() - cut).toBeLessThan(15_000);

    // 30 s after its only update, a newcomer on either hub is not told of the stale client.
    await sleep(Math.max(0, staleSince + 31_000 - Date.now()));
    for (const hub of [a, b]) {
      const late = await provider(hub, name);
      await sleep(300);
      expect(names(late.p.awareness)).not.toContain('Stale');
    }
    expect(stale.readyState).toBe(WebSocket.OPEN);
  }, 60_000);
});
