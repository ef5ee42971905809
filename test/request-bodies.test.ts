import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestPollClient } from '@pulse/hub/testing';
import { useSystem } from './helpers.js';

const sys = useSystem({ beforeAll, afterAll });
let session = '';

beforeAll(async () => {
  const poll = await TestPollClient.connect(sys.hub.url, []);
  session = poll.session;
  poll.cut();
});

/**
 * POSTs a chunked body of `total` bytes, 16 KiB at a time, and resolves with
 * the status and how much had been sent when the answer came.
 */
function chunkedPost(path: string, total: number): Promise<{ status: number; sentWhenAnswered: number }> {
  return new Promise((resolve, reject) => {
    const url = new URL(path, sys.hub.url);
    let sent = 0;
    let answered = false;
    const req = request({ host: url.hostname, port: url.port, path: url.pathname, method: 'POST', headers: { 'content-type': 'application/json', 'transfer-encoding': 'chunked' } }, (res) => {
      answered = true;
      res.resume();
      resolve({ status: res.statusCode!, sentWhenAnswered: sent });
    });
    req.on('error', (err) => (answered ? undefined : reject(err)));
    const chunk = Buffer.alloc(16 * 1024, 'x');
    const pump = () => {
      if (answered || sent >= total) return void req.end();
      sent += chunk.length;
      req.write(chunk, () => setTimeout(pump, 2));
    };
    pump();
  });
}

describe('request bodies', () => {
  it.each([
    ['session commands', () => `/api/sessions/${session}`, 256 * 1024],
    ['login', () => '/api/login', 4 * 1024],
    ['ingest', () => '/api/ingest', 1024 * 1024],
    ['a route that does not exist', () => '/api/nothing-here', 16 * 1024],
  ])('refuses a chunked body over the limit of %s with 413 while it is still arriving', async (_, path, limit) => {
    const { status, sentWhenAnswered } = await chunkedPost(path(), 8 * 1024 * 1024);
    expect(status).toBe(413);
    // Answered long before the 8 MiB were sent: the hub stopped reading at its limit.
    expect(sentWhenAnswered).toBeLessThan(limit + 2 * 1024 * 1024);
  });

  it('refuses a declared length over the limit before reading any of it', async () => {
    const status = await new Promise<number>((resolve, reject) => {
      const url = new URL('/api/login', sys.hub.url);
      const req = request({ host: url.hostname, port: url.port, path: url.pathname, method: 'POST', headers: { 'content-type': 'application/json', 'content-length': String(50 * 1024 * 1024) } }, (res) => {
        res.resume();
        resolve(res.statusCode!);
      });
      req.on('error', reject);
      req.write('{"name":');
    });
    expect(status).toBe(413);
  });

  it('still takes a chunked body under the limit', async () => {
    const res = await fetch(`${sys.hub.url}/api/sessions/${session}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: new ReadableStream({
        start(controller) {
          controller.enqueue(new TextEncoder().encode('[{"type":"ping"},'));
          controller.enqueue(new TextEncoder().encode('{"type":"ping"}]'));
          controller.close();
        },
      }),
      duplex: 'half',
    } as RequestInit);
    expect(res.status).toBe(202);
    expect(await res.json()).toEqual({ ok: true, frames: 2 });
  });
});
