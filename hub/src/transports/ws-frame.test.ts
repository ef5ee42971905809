import type { Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket, { WebSocketServer } from 'ws';
import { wsTextFrame } from './ws-frame.js';

let server: WebSocketServer;
let port: number;

beforeAll(async () => {
  server = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  await new Promise<void>((r) => server.once('listening', () => r()));
  port = (server.address() as { port: number }).port;
});

afterAll(async () => {
  await new Promise<void>((r) => server.close(() => r()));
});

/** Writes the frames to a real connection's socket and returns what a ws client reads. */
async function roundTrip(frames: Buffer[], expected: number): Promise<string[]> {
  const got: string[] = [];
  const client = new WebSocket(`ws://127.0.0.1:${port}`);
  server.once('connection', (ws) => {
    for (const f of frames) (ws as unknown as { _socket: Socket })._socket.write(f);
  });
  await new Promise<void>((resolve, reject) => {
    client.on('message', (data, isBinary) => {
      expect(isBinary).toBe(false);
      got.push(data.toString());
      if (got.length === expected) resolve();
    });
    client.on('error', reject);
  });
  client.terminate();
  return got;
}

describe('wsTextFrame', () => {
  it.each([0, 1, 125, 126, 65_535, 65_536, 200_000])('frames a %i-byte payload that a ws client reads back', async (n) => {
    const payload = Buffer.from('é'.repeat(Math.floor(n / 2)) + 'x'.repeat(n % 2));
    expect(await roundTrip([wsTextFrame(payload)], 1)).toEqual([payload.toString()]);
  });

  it('frames several messages written back to back', async () => {
    expect(await roundTrip([wsTextFrame(Buffer.from('{"a":1}')), wsTextFrame(Buffer.from('{"b":2}'))], 2)).toEqual(['{"a":1}', '{"b":2}']);
  });
});
