import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect as tcpConnect } from 'node:net';
import type { ChannelList, MessageFrame, Rollup } from '@pulse/hub/protocol';
import { TEST_PASSWORDS, testToken } from '@pulse/hub/testing';
import { eventually, uniqueName, useSystem } from './helpers.js';

const sys = useSystem({ beforeAll, afterAll });

interface IngestAnswer {
  accepted: number;
  samples: number;
  restamped: number;
  failed: Array<{ line?: number; index?: number; reason: string }>;
  skipped: Array<{ line: number; field: string; reason: string }>;
  error?: { code: string; message: string };
}

let service: string;
beforeAll(async () => {
  service = await testToken('service', 'ingest-test');
});

async function ingest(body: string, contentType = 'text/plain', query = '', token: string | undefined = service): Promise<{ status: number; body: IngestAnswer }> {
  const res = await fetch(`${sys.hub.url}/api/ingest${query}`, {
    method: 'POST',
    headers: { 'content-type': contentType, ...(token && { authorization: `Bearer ${token}` }) },
    body,
  });
  return { status: res.status, body: (await res.json()) as IngestAnswer };
}

/** The rollups stored for a series, once their sample counts reach `count`. */
async function rolledUp(series: string, count: number): Promise<Rollup[]> {
  return eventually(async () => {
    const res = await fetch(`${sys.hub.url}/api/history?ch=${encodeURIComponent(`metrics:${series}`)}&since=0`);
    const rollups = ((await res.json()) as { messages: Array<MessageFrame<Rollup>> }).messages.map((m) => m.data);
    return rollups.reduce((n, r) => n + r.count, 0) >= count ? rollups : undefined;
  }, 15_000, 250);
}

describe('POST /api/ingest with line protocol', () => {
  it('takes the good lines, names each refused one with its number and reason, and rolls the samples up', async () => {
    const m = uniqueName('lp');
    const nowNs = BigInt(Date.now()) * 1_000_000n;
    const body = [
      `${m},host=a usage=1.5,count=3i,up=true ${nowNs}`,
      `${m},host=b usage=2.5`,
      `${m},host=a usage=`,
      `${m} note="a string",usage=4u`,
      `${m} only="text"`,
      `# a comment`,
      `${m},host=with/slash usage=1`,
    ].join('\n');
    const { status, body: answer } = await ingest(body);
    expect(status).toBe(200);
    expect(answer.accepted).toBe(3);
    expect(answer.samples).toBe(5);
    expect(answer.failed.map((f) => f.line)).toEqual([3, 5, 7]);
    expect(answer.failed[0]!.reason).toMatch(/^column \d+: .*"usage"/);
    expect(answer.failed[1]!.reason).toContain('string');
    expect(answer.failed[2]!.reason).toContain('must use');
    expect(answer.skipped).toEqual([{ line: 4, field: 'note', reason: expect.stringContaining('string') }]);

    const usage = await rolledUp(`${m}.usage`, 3);
    expect(usage.reduce((n, r) => n + r.sum, 0)).toBe(1.5 + 2.5 + 4);
    const tagged = await rolledUp(`${m}.usage,host=a`, 1);
    expect(tagged.reduce((n, r) => n + r.sum, 0)).toBe(1.5);
    expect((await rolledUp(`${m}.up,host=a`, 1))[0]!.sum).toBe(1);
  });

  it('reads timestamps in the precision asked for', async () => {
    const m = uniqueName('lp_s');
    const seconds = Math.floor(Date.now() / 1000);
    const { status, body } = await ingest(`${m} v=7 ${seconds}`, 'text/plain; charset=utf-8', '?precision=s');
    expect(status).toBe(200);
    expect(body.samples).toBe(1);
    expect(await ingest(`${m} v=7 ${seconds}`, 'text/plain', '?precision=fortnight')).toMatchObject({ status: 400, body: { error: { code: 'bad_request' } } });
  });

  it('answers 400 when no line is taken, with every reason', async () => {
    const { status, body } = await ingest('bad\nworse line here');
    expect(status).toBe(400);
    expect(body.error!.code).toBe('bad_request');
    expect(body.failed.map((f) => f.line)).toEqual([1, 2]);
  });

  // 413 over 1 MiB: request-bodies.test.ts.
  it('refuses callers who are not services, and bodies of another type', async () => {
    const viewer = await testToken('viewer', uniqueName('v'));
    expect(await ingest('x v=1', 'text/plain', '', viewer)).toMatchObject({ status: 403, body: { error: { code: 'forbidden' } } });
    expect((await ingest('x v=1', 'text/plain', '', '')).status).toBe(403);
    expect((await ingest('x v=1', 'application/xml')).status).toBe(400);
  });
});

describe('POST /api/ingest with JSON', () => {
  it('takes one sample or an array, refusing bad samples by their index', async () => {
    const m = uniqueName('json');
    expect(await ingest(JSON.stringify({ series: `${m}.one`, value: 3 }), 'application/json')).toMatchObject({ status: 200, body: { samples: 1, failed: [] } });
    const { status, body } = await ingest(
      JSON.stringify([{ series: `${m}.two`, value: 1, tags: { host: 'a' } }, { series: `${m}.two`, value: 'x' }, { value: 1 }, { series: `${m}.two,host=b`, value: 2, ts: Date.now() }]),
      'application/json',
    );
    expect(status).toBe(200);
    expect(body.samples).toBe(2);
    expect(body.failed.map((f) => f.index)).toEqual([1, 2]);
    expect((await rolledUp(`${m}.two`, 2)).reduce((n, r) => n + r.sum, 0)).toBe(3);
  });

  it.each([
    ['not JSON', '{"series":'],
    ['no sample taken', '[{"series":"a","value":"1"}]'],
  ])('answers 400 for %s', async (_what, text) => {
    expect(await ingest(text, 'application/json')).toMatchObject({ status: 400, body: { error: { code: 'bad_request' } } });
  });
});

describe('GET /api/channels as a series browser', () => {
  it('finds series by name prefix and tags, with their newest rollup', async () => {
    const m = uniqueName('browse');
    const { status } = await ingest(`${m}.net,host=a,dc=x rx=1,tx=2\n${m}.net,host=b,dc=x rx=3\n${m}.disk,host=a used=4`);
    expect(status).toBe(200);
    await rolledUp(`${m}.net.rx`, 2);
    await rolledUp(`${m}.disk.used`, 1);
    const search = async (q: string) => {
      // The list is cached for a second; a new series shows up after that.
      return eventually(async () => {
        const res = await fetch(`${sys.hub.url}/api/channels?${q}`);
        const body = (await res.json()) as ChannelList;
        return body.metrics.length > 0 ? body : undefined;
      }, 5_000, 250);
    };
    const net = await search(`q=${m}.net&tag=host=a&last=1`);
    expect(net.metrics.map((x) => x.series)).toEqual([`${m}.net.rx,dc=x,host=a`, `${m}.net.tx,dc=x,host=a`]);
    expect(net.metrics[0]).toMatchObject({ name: `${m}.net.rx`, tags: { dc: 'x', host: 'a' }, last: { count: 1, sum: 1 } });
    expect(net.rooms).toEqual([]);
    const limited = await search(`q=${m}.&limit=2`);
    expect(limited.metrics).toHaveLength(2);
    expect(limited.more).toBeGreaterThan(0);
    expect((await fetch(`${sys.hub.url}/api/channels?limit=0`)).status).toBe(400);
  });
});

describe('line protocol on NATS ingest.influx', () => {
  it('rolls up what a raw NATS client publishes, as Telegraf does, once', async () => {
    const m = uniqueName('influx');
    const payload = `${m},host=t1 load=0.5,procs=12i\n${m},host=t2 load=1.5 ${BigInt(Date.now()) * 1_000_000n}\nnot line protocol\n`;
    // The NATS client protocol by hand: CONNECT, PUB, then PING so the server's PONG says it read everything.
    const port = Number(new URL(sys.nats.url).port);
    await new Promise<void>((resolve, reject) => {
      const socket = tcpConnect(port, '127.0.0.1');
      let seen = '';
      socket.on('data', (d) => {
        seen += d.toString();
        if (seen.includes('-ERR')) reject(new Error(seen));
        if (seen.includes('PONG')) {
          socket.end();
          resolve();
        }
      });
      socket.on('error', reject);
      socket.write(`CONNECT {"verbose":false,"pedantic":false,"user":"service","pass":"${TEST_PASSWORDS.service}"}\r\n`);
      socket.write(`PUB ingest.influx ${Buffer.byteLength(payload)}\r\n${payload}\r\nPING\r\n`);
    });
    const load = await rolledUp(`${m}.load`, 2);
    expect(load.reduce((n, r) => n + r.sum, 0)).toBe(2);
    expect((await rolledUp(`${m}.procs,host=t1`, 1))[0]!.sum).toBe(12);
    const metrics = await (await fetch(`${sys.hub.url}/metrics`)).text();
    expect(Number(/^pulse_ingest_refused_total\{format="influx"\} (\d+)$/m.exec(metrics)?.[1])).toBeGreaterThanOrEqual(1);
  });
});
