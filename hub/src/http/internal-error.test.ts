import { Hono } from 'hono';
import { describe, expect, it } from 'vitest';
import { internalError } from './internal-error.js';

describe('internalError', () => {
  it('logs the route, never a session id or a token from the path', async () => {
    const lines: string[] = [];
    const app = new Hono();
    app.post('/api/sessions/:id', () => {
      throw new Error('boom');
    });
    app.all('/api/*', () => {
      throw new Error('boom');
    });
    app.onError(internalError({ warn: (kind, message) => lines.push(`${kind}: ${message}`) }));
    const id = 'Qm9vbXNlc3Npb24xMjM0';
    const jwt = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln';
    const res = await app.request(`/api/sessions/${id}?token=${jwt}`, { method: 'POST' });
    await app.request(`/api/other/${jwt}`);
    expect(res.status).toBe(503);
    expect(await res.json()).toMatchObject({ error: { code: 'overloaded' } });
    expect(lines).toEqual(['http: POST /api/sessions/:id failed: boom', 'http: GET /api/* failed: boom']);
  });
});
