import { Hono } from 'hono';
import { describe, expect, it } from 'vitest';
import { originGuard } from './origins.js';

function app(cors: string[] = [], publicOrigins: string[] = []) {
  const a = new Hono();
  a.use('*', originGuard(cors, publicOrigins));
  a.get('/api/x', (c) => c.text('ok'));
  return async (origin: string | undefined, host: string) => (await a.request('/api/x', { headers: { host, ...(origin && { origin }) } })).status;
}

describe('originGuard', () => {
  it('takes an origin matching a loopback Host as the hub’s own, as npm start serves it', async () => {
    const get = app();
    expect(await get('http://127.0.0.1:8080', '127.0.0.1:8080')).toBe(200);
    expect(await get('http://localhost:5173', 'localhost:5173')).toBe(200);
    expect(await get('http://[::1]:8080', '[::1]:8080')).toBe(200);
  });

  it('refuses an origin that matches any other Host: a rebound name proves nothing', async () => {
    const get = app();
    expect(await get('http://evil.example:8080', 'evil.example:8080')).toBe(403);
    expect(await get('http://10.0.0.5:8080', '10.0.0.5:8080')).toBe(403);
  });

  it('takes the origins of HUB_PUBLIC_URL whatever the Host, and those of HUB_CORS_ORIGINS', async () => {
    const get = app(['https://partner.example'], ['https://pulse.example']);
    expect(await get('https://pulse.example', 'internal-hub:8080')).toBe(200);
    expect(await get('https://partner.example', 'internal-hub:8080')).toBe(200);
    expect(await get('https://other.example', 'internal-hub:8080')).toBe(403);
    expect(await get('http://pulse.example', 'pulse.example')).toBe(403);
  });

  it('lets requests without Origin through: they are not a browser’s cross-site requests', async () => {
    expect(await app()(undefined, 'anything:1')).toBe(200);
  });
});
