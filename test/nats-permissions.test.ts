import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect, type NatsConnection } from 'nats';
import { startTestNats, TEST_PASSWORDS, type TestNats } from '@pulse/hub/testing';
import { sleep } from './helpers.js';

let nats: TestNats;
const open: NatsConnection[] = [];

beforeAll(async () => {
  nats = await startTestNats();
});

afterAll(async () => {
  await Promise.allSettled(open.map((nc) => nc.close()));
  await nats?.stop();
});

async function as(user: keyof typeof TEST_PASSWORDS): Promise<{ nc: NatsConnection; violations: string[] }> {
  const nc = await connect({ servers: nats.url, user, pass: TEST_PASSWORDS[user] });
  open.push(nc);
  const violations: string[] = [];
  void (async () => {
    for await (const s of nc.status()) {
      if (s.type === 'error') violations.push(String(s.data));
    }
  })();
  return { nc, violations };
}

/** Publishes as `user` and reports whether a hub-side subscriber received it. */
async function delivered(user: keyof typeof TEST_PASSWORDS, subject: string): Promise<{ received: boolean; violations: string[] }> {
  const { nc: hub } = await as('hub');
  const sub = hub.subscribe(subject, { max: 1 });
  await hub.flush();
  const { nc, violations } = await as(user);
  nc.publish(subject, '1');
  await nc.flush();
  await sleep(300);
  const received = sub.getReceived() > 0;
  sub.unsubscribe();
  return { received, violations };
}

describe('nats.conf users', () => {
  it.each([
    ['service', 'metrics.cpu', true],
    ['service', 'ingest.influx', true],
    ['service', 'rooms.lobby.state', false],
    ['service', 'pulse.rollups.cpu', false],
    ['game', 'rooms.lobby.state', true],
    ['game', 'rooms.lobby.events', true],
    ['game', 'rooms.lobby.input', false],
    ['game', 'metrics.cpu', false],
  ] as const)('%s publishing to %s: allowed=%s', async (user, subject, allowed) => {
    const { received, violations } = await delivered(user, subject);
    expect(received).toBe(allowed);
    if (!allowed) expect(violations.join('\n')).toMatch(/permission/i);
  });

  it('lets the game server hear inputs and presence but nothing else', async () => {
    const { nc, violations } = await as('game');
    nc.subscribe('rooms.lobby.input');
    nc.subscribe('rooms.lobby.presence');
    await nc.flush();
    expect(violations).toEqual([]);
    nc.subscribe('metrics.>');
    await nc.flush();
    await sleep(200);
    expect(violations.join('\n')).toMatch(/permission/i);
  });

  it('lets a service subscribe to nothing', async () => {
    const { nc, violations } = await as('service');
    nc.subscribe('metrics.>');
    await nc.flush();
    await sleep(200);
    expect(violations.join('\n')).toMatch(/permission/i);
  });

  it('refuses a wrong password', async () => {
    await expect(connect({ servers: nats.url, user: 'service', pass: 'wrong', maxReconnectAttempts: 0 })).rejects.toThrow(/authorization/i);
  });
});
