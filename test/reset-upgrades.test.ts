import { afterAll, beforeAll, expect, it } from 'vitest';
import { connect as tcpConnect } from 'node:net';
import { testToken } from '@pulse/hub/testing';
import { sleep, uniqueName, useSystem } from './helpers.js';

const sys = useSystem({ beforeAll, afterAll });

// A client that resets its TCP connection while the hub still decides on its WebSocket upgrade
// (the token is checked asynchronously) must cost the hub that one socket, not the process.
it('survives clients that reset their connection in the middle of a WebSocket upgrade', async () => {
  const token = await testToken('viewer', uniqueName('reset'));
  const port = new URL(sys.hub.url).port;
  // Many at once: while the hub checks some tokens, the others' resets arrive.
  for (let round = 0; round < 5; round++) {
    const sockets = await Promise.all(
      Array.from({ length: 100 }, async () => {
        const socket = tcpConnect(Number(port), '127.0.0.1');
        socket.on('error', () => undefined);
        // A hub that died refuses the connection: the health check below says so.
        await new Promise<void>((resolve) => {
          socket.once('connect', () => resolve());
          socket.once('error', () => resolve());
        });
        return socket;
      }),
    );
    for (const socket of sockets) {
      socket.write(
        `GET /ws?ch=metrics:x&token=${token} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n`,
      );
    }
    await sleep(round);
    for (const socket of sockets) socket.resetAndDestroy();
    await sleep(100);
  }
  await sleep(500);
  const health = await fetch(`${sys.hub.url}/healthz`).catch(() => undefined);
  expect(health?.status).toBe(200);
});
