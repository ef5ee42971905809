import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { NatsConnection } from 'nats';
import type { ErrorFrame, MessageFrame } from '@pulse/hub/protocol';
import { startHubProcess, startTestNats, testToken, TestSseClient, TestWsClient, type HubProcess, type TestNats } from '@pulse/hub/testing';
import { connectService, eventually, uniqueName } from './helpers.js';
import { metricsSubject } from '@pulse/hub/protocol';

let nats: TestNats;
let hub: HubProcess;
let service: NatsConnection;
let bystander: TestWsClient;
const bystanderSeries = uniqueName('test.bystander');
let feeding = true;
let feeder: Promise<void>;

// A second session that keeps receiving a live series while the others misbehave.
beforeAll(async () => {
  nats = await startTestNats();
  hub = await startHubProcess(nats.url);
  service = await connectService(nats.url);
  bystander = await TestWsClient.connect(hub.wsUrl);
  bystander.send({ type: 'subscribe', ch: `metrics:${bystanderSeries}` });
  await bystander.next((f) => f.type === 'subscribed');
  feeder = (async () => {
    while (feeding) {
      service.publish(metricsSubject(bystanderSeries), '1');
      await new Promise((r) => setTimeout(r, 50));
    }
  })();
});

afterAll(async () => {
  feeding = false;
  await feeder;
  await bystander?.close();
  await service?.close();
  await hub?.stop();
  await nats?.stop();
});

async function errorFor(raw: string | Buffer): Promise<ErrorFrame> {
  const ws = await TestWsClient.connect(hub.wsUrl);
  try {
    ws.sendRaw(raw);
    const err = await ws.next<ErrorFrame>((f) => f.type === 'error');
    // The session is still usable after the error.
    ws.send({ type: 'ping' });
    await ws.next((f) => f.type === 'pong');
    return err;
  } finally {
    await ws.close();
  }
}

describe('bad client frames', () => {
  it.each([
    ['not JSON', '{"type":', 'bad_request'],
    ['a JSON array', '[1,2]', 'bad_request'],
    ['a JSON string', '"subscribe"', 'bad_request'],
    ['an unknown type', '{"type":"explode"}', 'bad_request'],
    ['a subscribe without ch', '{"type":"subscribe"}', 'bad_request'],
    ['a bad channel kind', '{"type":"subscribe","ch":"weather:today"}', 'bad_request'],
    ['a channel name with a space', '{"type":"subscribe","ch":"metrics:cpu usage"}', 'bad_request'],
    ['a channel name over 200 characters', `{"type":"subscribe","ch":"metrics:${'a'.repeat(201)}"}`, 'bad_request'],
    ['a negative since', '{"type":"subscribe","ch":"metrics:cpu","since":-1}', 'bad_request'],
    ['a fractional since', '{"type":"subscribe","ch":"metrics:cpu","since":1.5}', 'bad_request'],
    ['a publish to a metrics channel', '{"type":"publish","ch":"metrics:cpu","data":1}', 'forbidden'],
    ['another user\'s inbox', '{"type":"subscribe","ch":"inbox:someone-else"}', 'forbidden'],
    ['a negative numeric ref', '{"type":"ping","ref":-1}', 'bad_request'],
    ['a fractional ref', '{"type":"ping","ref":1.5}', 'bad_request'],
    ['a ref over 200 characters', `{"type":"ping","ref":"${'r'.repeat(201)}"}`, 'bad_request'],
    ['an object as ref', '{"type":"ping","ref":{"id":1}}', 'bad_request'],
    ['a frame nested too deeply', `{"type":"publish","ch":"room:deep","data":${'['.repeat(30_000)}${']'.repeat(30_000)}}`, 'bad_request'],
    ['a frame over 64 KiB', JSON.stringify({ type: 'ping', pad: 'x'.repeat(70 * 1024) }), 'too_large'],
  ])('answers %s with an error frame and keeps the session', async (_what, raw, code) => {
    const err = await errorFor(raw);
    expect(err.code).toBe(code);
    expect(err.message.length).toBeGreaterThan(5);
  });

  it('answers a binary frame with bad_request', async () => {
    const err = await errorFor(Buffer.from([0xff, 0x00, 0x01]));
    expect(err).toMatchObject({ code: 'bad_request', message: expect.stringContaining('binary') });
  });

  it('echoes the ref of a refused frame', async () => {
    const err = await errorFor('{"type":"subscribe","ch":"nope","ref":"r-42"}');
    expect(err).toMatchObject({ code: 'bad_request', ref: 'r-42' });
  });

  // JSON.parse reads any depth; a recursive JSON.stringify of it later overflowed the stack and killed the hub.
  it('refuses deep nesting from a player over WebSocket and over a command request, and stays up', async () => {
    const deep = `${'['.repeat(30_000)}${']'.repeat(30_000)}`;
    const ws = await TestWsClient.connect(`${hub.wsUrl}?token=${await testToken('player', 'deep-player')}`);
    try {
      ws.sendRaw(`{"type":"publish","ch":"room:deep","data":{"kind":"input","input":${deep}},"ref":"d1"}`);
      expect(await ws.next((f) => f.type === 'error')).toMatchObject({ code: 'bad_request', ref: 'd1' });
    } finally {
      await ws.close();
    }
    const sse = await TestSseClient.connect(hub.url);
    try {
      const res = await fetch(`${hub.url}/api/sessions/${sse.session}`, { method: 'POST', body: `{"type":"publish","ch":"room:deep","data":${deep},"ref":"d2"}` });
      expect(res.status).toBe(202);
      expect(await sse.next((f) => f.type === 'error')).toMatchObject({ code: 'bad_request', ref: 'd2' });
    } finally {
      await sse.close();
    }
    expect((await fetch(`${hub.url}/healthz`)).status).toBe(200);
  });

  // JSON-RPC ids and Socket.IO acks number their requests.
  it('accepts a numeric ref and echoes it as a number, on acks and on errors', async () => {
    const ws = await TestWsClient.connect(hub.wsUrl);
    try {
      ws.sendRaw(`{"type":"subscribe","ch":"metrics:${uniqueName('test.ref')}","ref":7}`);
      const subscribed = await ws.next((f) => f.type === 'subscribed');
      const ack = await ws.next((f) => f.type === 'ack');
      expect(subscribed).toMatchObject({ ref: 7 });
      expect(ack).toEqual({ type: 'ack', ref: 7 });
      ws.sendRaw('{"type":"unsubscribe","ch":"metrics:x","ref":0}');
      expect(await ws.next((f) => f.type === 'ack')).toEqual({ type: 'ack', ref: 0 });
      ws.sendRaw('{"type":"subscribe","ch":"nope","ref":9007199254740991}');
      expect(await ws.next((f) => f.type === 'error')).toMatchObject({ code: 'bad_request', ref: 9007199254740991 });
    } finally {
      await ws.close();
    }
  });
});

describe('bad NATS payloads', () => {
  it('counts malformed metric payloads and subjects', async () => {
    const scrape = async () => {
      const text = await (await fetch(`${hub.url}/metrics`)).text();
      return Number(/^pulse_bad_input_total\{source="nats_metrics"\} (\d+)$/m.exec(text)?.[1] ?? 0);
    };
    const before = await scrape();
    const bad = ['not json', '{"value":"high"}', '[1,"two"]', '{"value":1,"tags":{"host":5}}', '{"value":1e999}', 'null', '{"value":1,"ts":-5}'];
    for (const payload of bad) service.publish(metricsSubject(`${uniqueName('test.bad')}`), payload);
    // Subjects that cannot be series keys: a tag without a value, a character outside the alphabet.
    service.publish('metrics.cpu,host', '1');
    service.publish('metrics.cpu$usage', '1');
    await service.flush();
    await eventually(async () => ((await scrape()) >= before + bad.length + 2 ? true : undefined));
  });
});

describe('HTTP API', () => {
  it.each([
    ['/api/history', 400, 'bad_request'],
    ['/api/history?ch=metrics:a%20b', 400, 'bad_request'],
    ['/api/history?ch=metrics:cpu&since=abc', 400, 'bad_request'],
    ['/api/history?ch=metrics:cpu&limit=0', 400, 'bad_request'],
    ['/api/history?ch=inbox:someone', 403, 'forbidden'],
    ['/api/nothing-here', 404, 'not_found'],
  ])('GET %s answers %i %s as JSON', async (path, status, code) => {
    const res = await fetch(`${hub.url}${path}`);
    expect(res.status).toBe(status);
    const body = (await res.json()) as { error: { code: string; message: string } };
    expect(body.error.code).toBe(code);
    expect(body.error.message).toBeTruthy();
  });
});

describe('the rest of the hub', () => {
  it('kept delivering to the other session and stays healthy', async () => {
    const m = await bystander.next<MessageFrame>((f) => f.type === 'message' && f.ch === `metrics:${bystanderSeries}`, 5000);
    expect(m.seq).toBeGreaterThan(0);
    const health = await fetch(`${hub.url}/healthz`);
    expect(health.status).toBe(200);
    expect(bystander.closed).toBeUndefined();
  });
});
