import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { startHubProcess, startTestNats, TestPollClient, TestSseClient, TestWsClient, type HubProcess, type TestNats } from '@pulse/hub/testing';
import { eventually, sleep } from './helpers.js';

let nats: TestNats;
let hub: HubProcess;

beforeAll(async () => {
  nats = await startTestNats();
  hub = await startHubProcess(nats.url, { HUB_WS_PING_MS: '300' });
});

afterAll(async () => {
  await hub?.stop();
  await nats?.stop();
});

async function errorOf(res: Response): Promise<{ status: number; code: string; message: string }> {
  const body = (await res.json()) as { error: { code: string; message: string } };
  return { status: res.status, ...body.error };
}

describe('cursors and sessions refused clearly', () => {
  it.each([
    ['a malformed SSE Last-Event-ID', () => fetch(`${hub.url}/api/sse`, { headers: { 'last-event-id': 'garbage' } })],
    ['a foreign SSE ?cursor=', () => fetch(`${hub.url}/api/sse?cursor=${encodeURIComponent('eyJvZmZzZXQiOjF9')}`)],
    ['a poll cursor with a bad channel', () => fetch(`${hub.url}/api/poll?cursor=${encodeURIComponent('v1;weather:x@3')}`)],
    ['a poll cursor with a bad seq', () => fetch(`${hub.url}/api/poll?cursor=${encodeURIComponent('v1;metrics:x@-3')}`)],
    ['a bad channel in ?ch=', () => fetch(`${hub.url}/api/sse?ch=nope`)],
  ])('answers %s with 400 bad_request', async (_what, request) => {
    const e = await errorOf(await request());
    expect(e).toMatchObject({ status: 400, code: 'bad_request' });
    expect(e.message.length).toBeGreaterThan(10);
  });

  it('answers an unknown session with 404 and an ended one with 410', async () => {
    expect(await errorOf(await fetch(`${hub.url}/api/poll?session=nope`))).toMatchObject({ status: 404, code: 'not_found' });
    expect(await errorOf(await fetch(`${hub.url}/api/sessions/nope`, { method: 'POST', body: '{"type":"ping"}' }))).toMatchObject({ status: 404 });

    const sse = await TestSseClient.connect(hub.url);
    sse.cut();
    await eventually(async () => {
      const res = await fetch(`${hub.url}/api/sessions/${sse.session}`, { method: 'POST', body: '{"type":"ping"}' });
      await res.arrayBuffer();
      return res.status === 410 ? true : undefined;
    });
  });

  it('refuses command bodies that are not JSON frames', async () => {
    const sse = await TestSseClient.connect(hub.url);
    try {
      expect(await sse.sendRaw('{oops')).toBe(400);
      expect(await sse.sendRaw(JSON.stringify(Array.from({ length: 300 }, () => ({ type: 'ping' }))))).toBe(413);
      expect(await sse.sendRaw(JSON.stringify([{ type: 'ping' }, { type: 'ping' }]))).toBe(202);
      await sse.next((f) => f.type === 'pong');
      await sse.next((f) => f.type === 'pong');
    } finally {
      await sse.close();
    }
  });

  it('answers an older poll when a second one arrives on the same session', async () => {
    const first = await fetch(`${hub.url}/api/poll`);
    const { session } = (await first.json()) as { session: string };
    const older = fetch(`${hub.url}/api/poll?session=${session}`);
    await sleep(200);
    const newer = fetch(`${hub.url}/api/poll?session=${session}`);
    const olderBody = (await (await older).json()) as { frames: unknown[] };
    expect(olderBody.frames).toEqual([]);
    await fetch(`${hub.url}/api/sessions/${session}`, { method: 'POST', body: '{"type":"ping"}' });
    const newerBody = (await (await newer).json()) as { frames: unknown[] };
    expect(newerBody.frames).toEqual([{ type: 'pong' }]);
  });
});

describe('liveness', () => {
  it('drops a WebSocket peer that stops answering pings, and keeps one that answers', async () => {
    const live = await TestWsClient.connect(hub.wsUrl);
    const mute = new WebSocket(hub.wsUrl, { autoPong: false });
    const closed = new Promise<number>((resolve) => mute.on('close', (code) => resolve(code)));
    await new Promise((r) => mute.once('message', r));
    expect(await closed).toBe(1006);
    await sleep(700);
    expect(live.closed).toBeUndefined();
    live.send({ type: 'ping' });
    await live.next((f) => f.type === 'pong');
    await live.close();
  });

  it('serves SSE as an uncached event stream', () => {
    return fetch(`${hub.url}/api/sse`).then(async (res) => {
      expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
      expect(res.headers.get('cache-control')).toMatch(/no-cache/);
      await res.body?.cancel();
    });
  });
});

describe('SSE keep-alive', () => {
  it('writes a comment on an idle stream well within 15 s', async () => {
    const started = Date.now();
    const res = await fetch(`${hub.url}/api/sse`);
    const reader = res.body!.getReader();
    const decoder = new TextDecoder();
    let text = '';
    while (!text.includes(': keepalive') && Date.now() - started < 16_000) {
      const { value, done } = await reader.read();
      if (done) break;
      text += decoder.decode(value);
    }
    await reader.cancel();
    expect(text).toContain(': keepalive');
    expect(Date.now() - started).toBeLessThan(15_000);
  }, 20_000);
});

describe('sessions by transport in /metrics', () => {
  it('counts open sessions per transport', async () => {
    const sse = await TestSseClient.connect(hub.url);
    const poll = await TestPollClient.connect(hub.url);
    const text = await (await fetch(`${hub.url}/metrics`)).text();
    expect(Number(/^pulse_sessions\{transport="sse"\} (\d+)$/m.exec(text)?.[1])).toBeGreaterThanOrEqual(1);
    expect(Number(/^pulse_sessions\{transport="poll"\} (\d+)$/m.exec(text)?.[1])).toBeGreaterThanOrEqual(1);
    await sse.close();
    await poll.close();
  });
});
