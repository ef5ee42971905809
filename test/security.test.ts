import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { sign } from 'hono/jwt';
import type { ErrorFrame, MessageFrame, Role } from '@pulse/hub/protocol';
import { startHubProcess, TestPollClient, TestSseClient, TestWsClient, type HubProcess } from '@pulse/hub/testing';
import { eventually, sleep, uniqueName, useSystem } from './helpers.js';
import { metricsSubject } from '@pulse/hub/protocol';

const SECRET = 'test-secret-do-not-use-in-production';
const sys = useSystem({ beforeAll, afterAll }, { HUB_ALLOW_ANONYMOUS: '0', HUB_CORS_ORIGINS: 'https://partner.example' });

const now = () => Math.floor(Date.now() / 1000);
function token(claims: Record<string, unknown>, secret = SECRET): Promise<string> {
  return sign({ iat: now(), exp: now() + 600, ...claims }, secret, 'HS256');
}
const userToken = (role: Role, sub = `${role}-1`) => token({ sub, name: `A ${role}`, role });

function b64url(s: string): string {
  return Buffer.from(s).toString('base64url');
}

type Door = 'ws' | 'sse' | 'poll' | 'history';
const DOORS: Door[] = ['ws', 'sse', 'poll', 'history'];

/** The HTTP status one door answers for a token (or none). */
async function statusAt(door: Door, tok: string | undefined, headers: Record<string, string> = {}): Promise<number> {
  const q = tok ? `?token=${encodeURIComponent(tok)}` : '';
  if (door === 'ws') {
    return new Promise((resolve) => {
      const ws = new WebSocket(`${sys.hub.wsUrl}${q}`, { headers });
      ws.once('open', () => {
        ws.terminate();
        resolve(101);
      });
      ws.once('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
      ws.once('error', () => resolve(-1));
    });
  }
  const path = { sse: '/api/sse', poll: '/api/poll', history: '/api/history?ch=metrics:cpu' }[door];
  const sep = path.includes('?') ? '&' : '?';
  const res = await fetch(`${sys.hub.url}${path}${q ? sep + q.slice(1) : ''}`, { headers });
  await res.body?.cancel();
  return res.status;
}

describe('tokens at every door', () => {
  it.each(DOORS)('%s: a valid token passes, none or a bad one gets 401', async (door) => {
    expect([101, 200]).toContain(await statusAt(door, await userToken('viewer')));
    const header = b64url('{"alg":"none","typ":"JWT"}');
    const bad: Array<[string, string | undefined]> = [
      ['none', undefined],
      ['expired', await token({ sub: 'u', role: 'viewer', exp: now() - 10 })],
      ['foreign-signed', await token({ sub: 'u', role: 'viewer' }, 'someone-else')],
      ['malformed', 'not.a.token'],
      ['alg none', `${header}.${b64url(JSON.stringify({ sub: 'u', role: 'admin', exp: now() + 600 }))}.`],
      ['unknown role', await token({ sub: 'u', role: 'root' })],
      ['anonymous id', await token({ sub: 'anon-123', role: 'viewer' })],
    ];
    for (const [what, tok] of bad) expect(await statusAt(door, tok), what).toBe(401);
  });

  it('answers 401 with the contract body over HTTP', async () => {
    const res = await fetch(`${sys.hub.url}/api/history?ch=metrics:cpu`);
    expect(res.status).toBe(401);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('unauthorized');
  });

  it('has no login route while anonymous access is off', async () => {
    const res = await fetch(`${sys.hub.url}/api/login`, { method: 'POST', body: '{"name":"x","role":"player"}' });
    expect(res.status).not.toBe(200);
  });

  it('ends a session with unauthorized when its token expires', async () => {
    const tok = await token({ sub: 'short', role: 'viewer', exp: now() + 2 });
    const ws = await TestWsClient.connect(`${sys.hub.wsUrl}?token=${tok}`);
    const err = await ws.next<ErrorFrame>((f) => f.type === 'error', 5000);
    expect(err.code).toBe('unauthorized');
    await eventually(() => ws.closed);
    expect(ws.closed!.code).toBe(4401);
  });

  // setTimeout takes at most 2^31-1 ms (24.8 days); a longer delay fires after 1 ms.
  it('keeps a session whose token is valid for 90 days', async () => {
    const tok = await token({ sub: 'svc-long', role: 'viewer', exp: now() + 90 * 24 * 3600 });
    const ws = await TestWsClient.connect(`${sys.hub.wsUrl}?token=${tok}`);
    await sleep(300);
    ws.send({ type: 'ping' });
    await ws.next((f) => f.type === 'pong', 2000);
    expect(ws.frames.some((f) => f.type === 'error')).toBe(false);
    expect(ws.closed).toBeUndefined();
    ws.close();
  });
});

describe('permissions: role x channel kind x action, on each transport', () => {
  const kinds = (sub: string) => ({ metrics: 'metrics:cpu', room: 'room:lobby', ownInbox: `inbox:${sub}`, otherInbox: 'inbox:someone-else' });
  // From docs/protocol.md's channel table. An allowed action answers subscribed, ack, or not_found (inbox channels are not served yet), never forbidden.
  const table: Record<Role, Record<keyof ReturnType<typeof kinds>, { subscribe: boolean; publish: boolean }>> = {
    viewer: { metrics: { subscribe: true, publish: false }, room: { subscribe: true, publish: false }, ownInbox: { subscribe: true, publish: false }, otherInbox: { subscribe: false, publish: false } },
    player: { metrics: { subscribe: true, publish: false }, room: { subscribe: true, publish: true }, ownInbox: { subscribe: true, publish: false }, otherInbox: { subscribe: false, publish: false } },
    admin: { metrics: { subscribe: true, publish: false }, room: { subscribe: true, publish: true }, ownInbox: { subscribe: true, publish: false }, otherInbox: { subscribe: true, publish: false } },
    service: { metrics: { subscribe: false, publish: false }, room: { subscribe: false, publish: false }, ownInbox: { subscribe: true, publish: false }, otherInbox: { subscribe: false, publish: false } },
  };

  for (const transport of ['ws', 'sse', 'poll'] as const) {
    it.each(Object.keys(table) as Role[])(`${transport}: %s`, async (role) => {
      const sub = `${role}-${transport}`;
      const tok = await userToken(role, sub);
      const client =
        transport === 'ws'
          ? await TestWsClient.connect(`${sys.hub.wsUrl}?token=${tok}`)
          : transport === 'sse'
            ? await TestSseClient.connect(`${sys.hub.url}`, [], { token: tok })
            : await TestPollClient.connect(`${sys.hub.url}`, [], { token: tok });
      try {
        let n = 0;
        for (const [kind, ch] of Object.entries(kinds(sub)) as Array<[keyof ReturnType<typeof kinds>, string]>) {
          for (const action of ['subscribe', 'publish'] as const) {
            const ref = `r${n++}`;
            await client.send(action === 'subscribe' ? { type: 'subscribe', ch, ref } : { type: 'publish', ch, data: { kind: 'chat', text: 'hi' }, ref });
            const reply = await client.next((f) => ('ref' in f && f.ref === ref) || false);
            const forbidden = reply.type === 'error' && reply.code === 'forbidden';
            expect(forbidden, `${role} ${action} ${kind}: ${JSON.stringify(reply)}`).toBe(!table[role][kind][action]);
          }
        }
      } finally {
        await client.close();
      }
    });
  }
});

describe('origins', () => {
  it.each(DOORS)('%s: refuses a foreign Origin with 403 and lets the allowed and the own origin in', async (door) => {
    const tok = await userToken('viewer');
    expect(await statusAt(door, tok, { origin: 'https://evil.example' })).toBe(403);
    expect([101, 200]).toContain(await statusAt(door, tok, { origin: 'https://partner.example' }));
    expect([101, 200]).toContain(await statusAt(door, tok, { origin: sys.hub.url }));
  });

  it('sends CORS headers only to allowed origins', async () => {
    const tok = await userToken('viewer');
    const ok = await fetch(`${sys.hub.url}/api/history?ch=metrics:cpu&token=${tok}`, { headers: { origin: 'https://partner.example' } });
    expect(ok.headers.get('access-control-allow-origin')).toBe('https://partner.example');
    const own = await fetch(`${sys.hub.url}/api/history?ch=metrics:cpu&token=${tok}`, { headers: { origin: sys.hub.url } });
    expect(own.headers.get('access-control-allow-origin')).toBeNull();
    const preflight = await fetch(`${sys.hub.url}/api/sessions/x`, { method: 'OPTIONS', headers: { origin: 'https://partner.example', 'access-control-request-method': 'POST' } });
    expect(preflight.status).toBe(204);
  });
});

describe('limits and hostile input', () => {
  it('answers a 300 KB frame with too_large and keeps the session', async () => {
    const ws = await TestWsClient.connect(`${sys.hub.wsUrl}?token=${await userToken('viewer')}`);
    ws.send({ type: 'ping', pad: 'x'.repeat(300 * 1024) });
    expect((await ws.next<ErrorFrame>((f) => f.type === 'error')).code).toBe('too_large');
    ws.send({ type: 'ping' });
    await ws.next((f) => f.type === 'pong');
    await ws.close();
  });

  it('rate-limits a burst of 1,500 publishes, then closes the abusive session, and others go on', async () => {
    const other = await TestWsClient.connect(`${sys.hub.wsUrl}?token=${await userToken('viewer', 'bystander')}`);
    const ws = await TestWsClient.connect(`${sys.hub.wsUrl}?token=${await userToken('player', 'flooder')}`);
    for (let i = 0; i < 1500; i++) ws.send({ type: 'publish', ch: 'room:lobby', data: { kind: 'chat', text: `${i}` }, ref: `b${i}` });
    await eventually(() => ws.closed, 10_000);
    expect(ws.closed!.code).toBe(4429);
    const limited = ws.frames.filter((f) => f.type === 'error' && f.code === 'rate_limited');
    expect(limited.length).toBeGreaterThan(10);
    // The first ones, inside the burst, were not rate-limited.
    expect(ws.frames.find((f) => f.type === 'error' && f.ref === 'b0')).not.toMatchObject({ code: 'rate_limited' });
    other.send({ type: 'ping' });
    await other.next((f) => f.type === 'pong');
    const metrics = await (await fetch(`${sys.hub.url}/metrics`)).text();
    expect(metrics).toMatch(/^pulse_limit_hits_total\{limit="publish_rate"\} [1-9]/m);
    expect(metrics).toMatch(/^pulse_limit_hits_total\{limit="publish_abuse"\} [1-9]/m);
    await other.close();
  });

  it('charges every frame to one budget: a ping and subscribe storm is refused past its burst, then the session ends', async () => {
    const other = await TestWsClient.connect(`${sys.hub.wsUrl}?token=${await userToken('viewer', 'bystander')}`);
    const ws = await TestWsClient.connect(`${sys.hub.wsUrl}?token=${await userToken('viewer', 'stormer')}`);
    for (let i = 0; i < 1200; i++) ws.send(i % 2 ? { type: 'ping' } : { type: 'subscribe', ch: `room:${uniqueName('storm')}`, ref: `s${i}` });
    await eventually(() => ws.closed, 10_000);
    expect(ws.closed!.code).toBe(4429);
    // The burst (300 by default) was served: pongs and subscriptions, then refusals.
    expect(ws.frames.filter((f) => f.type === 'pong').length).toBeGreaterThan(100);
    expect(ws.frames.filter((f) => f.type === 'error' && f.code === 'rate_limited').length).toBeGreaterThan(100);
    other.send({ type: 'ping' });
    await other.next((f) => f.type === 'pong');
    await other.close();
  });

  it('charges commands posted to SSE and poll sessions to the same budget', async () => {
    for (const open of [(t: string) => TestSseClient.connect(sys.hub.url, [], { token: t }), (t: string) => TestPollClient.connect(sys.hub.url, [], { token: t })]) {
      const client = await open(await userToken('viewer', uniqueName('poster')));
      const pings = JSON.stringify(Array.from({ length: 256 }, () => ({ type: 'ping' })));
      const statuses: number[] = [];
      for (let i = 0; i < 4; i++) statuses.push(await client.sendRaw(pings).catch(() => 0));
      expect(statuses[0]).toBe(202);
      // The last frame: the session is closed, not just refused.
      const ended = await client.next((f) => f.type === 'error' && f.code === 'rate_limited' && f.message.includes('closed'), 10_000).catch(() => undefined);
      expect(client.frames.filter((f) => f.type === 'pong').length).toBeLessThan(400);
      expect(ended).toBeDefined();
      await client.close();
    }
    const metrics = await (await fetch(`${sys.hub.url}/metrics`)).text();
    expect(metrics).toMatch(/^pulse_limit_hits_total\{limit="frame_rate"\} [1-9]/m);
    expect(metrics).toMatch(/^pulse_limit_hits_total\{limit="frame_abuse"\} [1-9]/m);
  });

  it('survives hostile frames: deep nesting, huge numbers, __proto__ keys, invalid UTF-8', async () => {
    const tok = await userToken('admin', 'hostile');
    const ws = await TestWsClient.connect(`${sys.hub.wsUrl}?token=${tok}`);
    const hostile = [
      '['.repeat(30_000) + ']'.repeat(30_000),
      '{"type":"subscribe","ch":"metrics:x","since":1e400}',
      '{"type":"subscribe","ch":"metrics:x","since":123456789012345678901234567890}',
      '{"type":"publish","ch":"room:lobby","data":{"__proto__":{"polluted":true},"constructor":{"prototype":{"polluted":true}}},"ref":"proto"}',
      '{"__proto__":{"type":"ping"}}',
      '{"type":"subscribe","ch":{"toString":"metrics:x"}}',
    ];
    for (const h of hostile) ws.sendRaw(h);
    ws.send({ type: 'ping' });
    await ws.next((f) => f.type === 'pong');
    expect(ws.frames.filter((f) => f.type === 'error').length).toBeGreaterThanOrEqual(hostile.length - 1);
    // Invalid UTF-8 in a text frame is a protocol error: that socket closes (1007), the hub goes on.
    ws.ws.send(Buffer.from([0x7b, 0xff, 0xfe, 0x7d]), { binary: false });
    await eventually(() => ws.closed);
    expect(ws.closed!.code).toBe(1007);
    expect((await fetch(`${sys.hub.url}/healthz`)).status).toBe(200);
  });

  it('fuzz: random frames into one session for a while, another keeps receiving without loss', async () => {
    const series = uniqueName('test.fuzz');
    const ch = `metrics:${series}`;
    const watcher = await TestWsClient.connect(`${sys.hub.wsUrl}?token=${await userToken('viewer', 'watcher')}`);
    watcher.send({ type: 'subscribe', ch, since: 0 });
    let on = true;
    const feed = (async () => {
      for (let n = 0; on; n++) {
        sys.service.publish(metricsSubject(series), String(n));
        await sleep(30);
      }
    })();

    const seed = Date.now();
    let state = seed;
    const rand = () => ((state = (state * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    const pick = <T>(xs: T[]) => xs[Math.floor(rand() * xs.length)]!;
    const pieces = ['type', 'subscribe', 'publish', 'ping', 'ch', 'since', 'ref', 'data', 'metrics:', 'room:', 'inbox:', '{', '}', '[', ']', ':', ',', '"', '-1', '1e309', 'null', 'true', '\\u0000', '__proto__', 'x'.repeat(100)];
    const deadline = Date.now() + 3000;
    let sent = 0;
    let fuzzer = await TestWsClient.connect(`${sys.hub.wsUrl}?token=${await userToken('player', 'fuzzer')}`);
    while (Date.now() < deadline) {
      if (fuzzer.closed) fuzzer = await TestWsClient.connect(`${sys.hub.wsUrl}?token=${await userToken('player', 'fuzzer')}`);
      const frame =
        rand() < 0.5
          ? Array.from({ length: 1 + Math.floor(rand() * 12) }, () => pick(pieces)).join('')
          : JSON.stringify({ type: pick(['subscribe', 'publish', 'ping', 'unsubscribe', 'nope']), ch: pick(['metrics:a', 'room:b', 'inbox:c', 'bad', '']), since: pick([undefined, -1, 0, 1.5, 2 ** 60]), data: pick([1, 'x', null, { kind: 'chat' }]) });
      fuzzer.sendRaw(frame);
      sent++;
      if (sent % 50 === 0) await sleep(5);
    }
    on = false;
    await feed;
    await sleep(1500);
    const history = (await (await fetch(`${sys.hub.url}/api/history?ch=${encodeURIComponent(ch)}&limit=2000&token=${await userToken('viewer')}`)).json()) as { messages: MessageFrame[] };
    await eventually(() => (watcher.frames.filter((f) => f.type === 'message').length >= history.messages.length ? true : undefined));
    const got = watcher.frames.filter((f): f is MessageFrame => f.type === 'message').map((m) => m.seq);
    expect(got, `fuzz seed ${seed}`).toEqual(history.messages.map((m) => m.seq));
    expect(sent).toBeGreaterThan(500);
    expect((await fetch(`${sys.hub.url}/healthz`)).status).toBe(200);
    await watcher.close();
    await fuzzer.close();
  });
});

describe('anonymous access and demo login', () => {
  let anon: HubProcess;
  beforeAll(async () => {
    anon = await startHubProcess(sys.nats.url, { HUB_ALLOW_ANONYMOUS: '1' });
  });
  afterAll(async () => {
    await anon?.stop();
  });

  it('lets token-less clients in as viewers with a generated id', async () => {
    const ws = await TestWsClient.connect(anon.wsUrl);
    expect(ws.frames[0]).toMatchObject({ type: 'welcome', user: { role: 'viewer', id: expect.stringMatching(/^anon-/) } });
    await ws.close();
  });

  it('mints a demo token for a name and role, and refuses other roles', async () => {
    const res = await fetch(`${anon.url}/api/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"name":"Ada","role":"player"}' });
    expect(res.status).toBe(200);
    const { token: tok, user } = (await res.json()) as { token: string; user: { id: string; name: string; role: string } };
    expect(user).toMatchObject({ name: 'Ada', role: 'player' });
    const ws = await TestWsClient.connect(`${anon.wsUrl}?token=${tok}`);
    expect(ws.frames[0]).toMatchObject({ user });
    await ws.close();
    for (const body of ['{"name":"Eve","role":"admin"}', '{"name":"","role":"viewer"}', '{"name":"x","role":"service"}', 'nope']) {
      const r = await fetch(`${anon.url}/api/login`, { method: 'POST', body });
      expect(r.status, body).toBe(400);
    }
  });
});

describe('room publications', () => {
  it('checks chat length (500) and the shape of room data before anything else', async () => {
    const ws = await TestWsClient.connect(`${sys.hub.wsUrl}?token=${await userToken('player', 'chatter')}`);
    const reply = async (data: unknown, ref: string) => {
      ws.send({ type: 'publish', ch: 'room:lobby', data, ref });
      return ws.next<ErrorFrame>((f) => f.type === 'error' && f.ref === ref);
    };
    expect((await reply({ kind: 'chat', text: 'x'.repeat(501) }, 'long')).code).toBe('too_large');
    expect((await reply({ kind: 'shout' }, 'shape')).code).toBe('bad_request');
    // A line of exactly 500 characters (as people count them) is stored.
    ws.send({ type: 'publish', ch: 'room:lobby', data: { kind: 'chat', text: 'é'.repeat(500) }, ref: 'ok' });
    await ws.next((f) => f.type === 'ack' && f.ref === 'ok');
    await ws.close();
  });
});

describe('session and connection limits', () => {
  let small: HubProcess;
  beforeAll(async () => {
    small = await startHubProcess(sys.nats.url, { HUB_ALLOW_ANONYMOUS: '0', HUB_MAX_CONNECTIONS: '3', HUB_MAX_SESSIONS_PER_USER: '2' });
  });
  afterAll(async () => {
    await small?.stop();
  });

  it('refuses a third session of one user with 429 and a fourth connection with 503, and frees both on close', async () => {
    const ada = await userToken('viewer', 'ada');
    const first = await TestWsClient.connect(`${small.wsUrl}?token=${ada}`);
    const second = await TestSseClient.connect(small.url, [], { token: ada });
    const third = await fetch(`${small.url}/api/poll?token=${ada}`);
    expect(third.status).toBe(429);
    expect(((await third.json()) as { error: { code: string } }).error.code).toBe('rate_limited');

    const bob = await TestWsClient.connect(`${small.wsUrl}?token=${await userToken('viewer', 'bob')}`);
    const full = await fetch(`${small.url}/api/sse?token=${await userToken('viewer', 'cy')}`);
    expect(full.status).toBe(503);
    expect(((await full.json()) as { error: { code: string } }).error.code).toBe('overloaded');

    await first.close();
    await eventually(async () => {
      const res = await fetch(`${small.url}/api/poll?token=${ada}`);
      await res.arrayBuffer();
      return res.status === 200 ? true : undefined;
    });
    const metrics = await (await fetch(`${small.url}/metrics`)).text();
    expect(metrics).toMatch(/^pulse_limit_hits_total\{limit="sessions_per_user"\} [1-9]/m);
    expect(metrics).toMatch(/^pulse_limit_hits_total\{limit="connections"\} [1-9]/m);
    await second.close();
    await bob.close();
  });
});
