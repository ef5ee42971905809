import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect, StringCodec, type NatsConnection } from 'nats';
import { PulseClient } from '@pulse/hub/client';
import { roomSubject, type MessageFrame, type ServerFrame } from '@pulse/hub/protocol';
import { startHubProcess, startTestNats, TEST_PASSWORDS, TestPollClient, TestSseClient, testToken, type HubProcess, type TestNats } from '@pulse/hub/testing';
import { eventually, historySeqs, sleep, uniqueName } from './helpers.js';
import { RoundRobin } from './round-robin.js';

// No stickiness anywhere: every request of a session may reach any hub process,
// and the process that holds the session answers it, through NATS.

const sc = StringCodec();

interface Deployment {
  nats: TestNats;
  hubs: HubProcess[];
  balancer: RoundRobin;
  game: NatsConnection;
}

function useDeployment(hubEnvs: Array<Record<string, string>>): Deployment {
  const d = { hubs: [] as HubProcess[] } as Deployment;
  beforeAll(async () => {
    d.nats = await startTestNats();
    for (const env of hubEnvs) d.hubs.push(await startHubProcess(d.nats.url, env));
    d.balancer = await RoundRobin.start(d.hubs.map((h) => h.url));
    d.game = await connect({ servers: d.nats.url, user: 'game', pass: TEST_PASSWORDS.game });
  });
  afterAll(async () => {
    await d.game?.close();
    await d.balancer?.stop();
    await Promise.allSettled(d.hubs.map((h) => h.stop()));
    await d.nats?.stop();
  });
  return d;
}

function publishEvents(game: NatsConnection, room: string, n: number): Promise<void> {
  for (let i = 0; i < n; i++) game.publish(roomSubject(room, 'events'), sc.encode(JSON.stringify({ i })));
  return game.flush();
}

const messagesOf = (frames: ServerFrame[], ch: string) => frames.filter((f): f is MessageFrame => f.type === 'message' && f.ch === ch);

type StreamClient = TestSseClient | TestPollClient;

/** Subscribe, publish, unsubscribe and resume, each request going to the next process in turn. */
async function everyCommandAnywhere(d: Deployment, kind: 'sse' | 'poll'): Promise<void> {
  const [a, b] = [`room:${uniqueName('rr_a')}`, `room:${uniqueName('rr_b')}`];
  const roomA = a.slice('room:'.length);
  const roomB = b.slice('room:'.length);
  const token = await testToken('player', uniqueName('p'));
  const open = (resume?: string): Promise<StreamClient> =>
    kind === 'sse' ? TestSseClient.connect(d.balancer.url, [a], { token, lastEventId: resume }) : TestPollClient.connect(d.balancer.url, [a], { token, cursor: resume });

  const first = await open();
  await first.next((f) => f.type === 'subscribed' && f.ch === a);
  expect(await first.send({ type: 'subscribe', ch: b })).toBe(202);
  await first.next((f) => f.type === 'subscribed' && f.ch === b);

  for (let i = 0; i < 10; i++) expect(await first.send({ type: 'publish', ch: a, data: { kind: 'chat', text: `c${i}` }, ref: `c${i}` })).toBe(202);
  await first.next((f) => f.type === 'ack' && f.ref === 'c9');
  expect(first.frames.filter((f) => f.type === 'ack').map((f) => (f as { ref: string }).ref)).toEqual([...Array(10).keys()].map((i) => `c${i}`));

  await publishEvents(d.game, roomB, 5);
  await eventually(() => (messagesOf(first.frames, b).length === 5 ? true : undefined));
  expect(await first.send({ type: 'unsubscribe', ch: b })).toBe(202);
  await publishEvents(d.game, roomB, 5);
  await publishEvents(d.game, roomA, 10);
  await eventually(() => (messagesOf(first.frames, a).length === 20 ? true : undefined));
  await sleep(300);
  expect(messagesOf(first.frames, b)).toHaveLength(5);

  const cursor = first instanceof TestSseClient ? first.lastEventId : first.cursor;
  first.cut();
  await publishEvents(d.game, roomA, 10);
  const second = await open(cursor);
  const stored = await historySeqs(d.hubs[0]!.url, a, 0);
  expect(stored).toHaveLength(30);
  await eventually(() => (messagesOf(second.frames, a).length >= 10 ? true : undefined));
  await sleep(300);
  const seen = [...messagesOf(first.frames, a), ...messagesOf(second.frames, a)].map((m) => m.seq);
  expect(seen).toEqual(stored);
  await second.close();
}

/** `pulse_session_requests_forwarded_total` of every process that answers at `url`, summed over `tries` scrapes of fresh connections. */
async function forwardedAnswers(urls: string[]): Promise<number> {
  let total = 0;
  for (const url of urls) {
    const text = await (await fetch(`${url}/metrics`)).text();
    total += Number(/^pulse_session_requests_forwarded_total\{outcome="answered"\} (\d+)$/m.exec(text)?.[1] ?? 0);
  }
  return total;
}

describe('two hubs behind a round-robin balancer', () => {
  const d = useDeployment([{}, {}]);

  it.each(['sse', 'poll'] as const)('serves every command and poll of a %s session from either hub, every seq once and in order', async (kind) => {
    const before = d.balancer.served.length;
    await everyCommandAnywhere(d, kind);
    const served = new Set(d.balancer.served.slice(before));
    expect(served.size).toBe(2);
    expect(await forwardedAnswers(d.hubs.map((h) => h.url))).toBeGreaterThan(0);
    // Nothing of an answered request stays behind: the hubs hold no forwarded request once the client is gone.
    const waiting = async () =>
      Promise.all(d.hubs.map(async (h) => Number(/^pulse_session_requests_waiting (\d+)$/m.exec(await (await fetch(`${h.url}/metrics`)).text())?.[1])));
    expect(await eventually(async () => ((await waiting()).every((n) => n === 0) ? true : undefined), 10_000, 200)).toBe(true);
  });

  it('answers 410 when the hub holding a poll session dies, and the client resumes on the other losing nothing', async () => {
    const room = uniqueName('rr_kill');
    const ch = `room:${room}`;
    const pollSessions = async () =>
      Promise.all(d.hubs.map(async (h) => Number(/^pulse_sessions\{transport="poll"\} (\d+)$/m.exec(await (await fetch(`${h.url}/metrics`)).text())?.[1] ?? 0)));
    const before = await pollSessions();
    const client = new PulseClient({ url: d.balancer.url, transports: ['poll'], token: await testToken('viewer', uniqueName('v')) });
    const seqs: number[] = [];
    client.subscribe(ch, (m) => seqs.push(m.seq!));
    await eventually(() => (client.status.state === 'open' ? true : undefined));
    let on = true;
    const feed = (async () => {
      for (let i = 0; on; i++) {
        await publishEvents(d.game, room, 1);
        await sleep(20);
      }
    })();
    await sleep(500);
    // Earlier tests' sessions may still be open; the owner is the hub that gained one.
    const gained = (await pollSessions()).map((n, i) => n > before[i]!);
    expect(gained.filter(Boolean)).toHaveLength(1);
    const owner = d.hubs[gained.indexOf(true)]!;
    const survivor = d.hubs[gained.indexOf(false)]!;
    await owner.kill('SIGKILL');
    await sleep(1500);
    on = false;
    await feed;
    const stored = await historySeqs(survivor.url, ch, 0);
    await eventually(() => (seqs.length >= stored.length ? true : undefined), 15_000);
    expect(seqs).toEqual(stored);
    const text = await (await fetch(`${survivor.url}/metrics`)).text();
    expect(Number(/^pulse_session_requests_forwarded_total\{outcome="owner_gone"\} (\d+)$/m.exec(text)?.[1] ?? 0)).toBeGreaterThan(0);
    client.close();
  });
});

describe('HUB_WORKERS=2 behind one port', () => {
  const d = useDeployment([{ HUB_WORKERS: '2' }]);

  it.each(['sse', 'poll'] as const)('serves every command and poll of a %s session from either worker, every seq once and in order', async (kind) => {
    await everyCommandAnywhere(d, kind);
    // Each scrape over a fresh connection reaches either worker; forwards show on one of them.
    const forwarded = await eventually(async () => {
      const counts = new Map<string, number>();
      for (let i = 0; i < 20 && counts.size < 2; i++) {
        const text = await (await fetch(`${d.balancer.url}/metrics`)).text();
        const worker = /^pulse_hub_info\{worker="(\d+)"\} 1$/m.exec(text)?.[1];
        if (worker !== undefined) counts.set(worker, Number(/^pulse_session_requests_forwarded_total\{outcome="answered"\} (\d+)$/m.exec(text)?.[1] ?? 0));
      }
      return counts.size === 2 ? [...counts.values()].reduce((x, y) => x + y, 0) : undefined;
    });
    expect(forwarded).toBeGreaterThan(0);
  });
});

describe('a forwarded poll when NATS dies under it', () => {
  let nats: TestNats;
  const hubs: HubProcess[] = [];
  beforeAll(async () => {
    nats = await startTestNats();
    for (let i = 0; i < 2; i++) hubs.push(await startHubProcess(nats.url));
  });
  afterAll(async () => {
    await Promise.allSettled(hubs.map((h) => h.stop()));
    await nats?.stop();
  });

  it('is answered overloaded at once, not after its wait, and the session resumes from its cursor once NATS is back', async () => {
    const ch = `room:${uniqueName('rr_natsdeath')}`;
    const [owner, other] = hubs as [HubProcess, HubProcess];
    const opened = (await (await fetch(`${owner.url}/api/poll?ch=${encodeURIComponent(ch)}`)).json()) as { session: string; cursor: string };
    // Take the subscription's own frames, so the forwarded poll below waits at its owner.
    let cursor = opened.cursor;
    for (let i = 0; i < 5; i++) {
      const a = (await (await fetch(`${owner.url}/api/poll?session=${encodeURIComponent(opened.session)}&cursor=${encodeURIComponent(cursor)}&wait=1000`)).json()) as { cursor: string; frames: unknown[] };
      cursor = a.cursor;
      if (a.frames.length === 0) break;
    }
    const forwarded = fetch(`${other.url}/api/poll?session=${encodeURIComponent(opened.session)}&cursor=${encodeURIComponent(cursor)}`);
    await sleep(500);
    const port = Number(new URL(nats.url).port);
    await nats.kill();
    const killedAt = Date.now();
    const res = await forwarded;
    // Its answer cannot come back without NATS: the client is told now, not after the forwarded wait (5 s) or the request's timeout.
    expect(Date.now() - killedAt).toBeLessThan(3_000);
    expect(res.status).toBe(503);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('overloaded');

    nats = await startTestNats({ port, dir: nats.dir });
    await eventually(async () => ((await fetch(`${other.url}/healthz`)).ok ? true : undefined), 20_000, 250);
    const resumed = await TestPollClient.connect(other.url, [], { cursor });
    await resumed.next((f) => f.type === 'subscribed' && f.ch === ch);
    await resumed.close();
  }, 60_000);
});
