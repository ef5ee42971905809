import { afterAll, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from 'nats';
import { hubNode, natsNodes, pickPorts, TEST_JWT_SECRET, TEST_PASSWORDS, type ClusterMember } from '@pulse/hub/testing';
import { eventually } from './helpers.js';

// Machines of a deployment boot in any order: a hub that comes up before its
// NATS cluster can hold R3 streams waits for it, and serves once it can.
const started: ClusterMember[] = [];
const dir = mkdtempSync(join(tmpdir(), 'pulse-forming-'));

afterAll(async () => {
  await Promise.allSettled(started.filter((m) => m.name.startsWith('hub')).map((m) => m.stop()));
  await Promise.allSettled(started.filter((m) => m.name.startsWith('nats')).map((m) => m.stop()));
  rmSync(dir, { recursive: true, force: true });
}, 60_000);

it('starts a hub before its NATS cluster has a quorum, and serves once the other nodes join', async () => {
  const ports = await pickPorts({});
  const lines: string[] = [];
  const o = { dir, passwords: TEST_PASSWORDS, jwtSecret: TEST_JWT_SECRET, log: (from: string, line: string) => lines.push(`${from}: ${line}`) };
  const { nats, natsServers } = natsNodes(ports, o);
  const [first, ...others] = nats as [ClusterMember, ...ClusterMember[]];
  started.push(first);
  await first.start();
  // One node of three: no JetStream leader, so no stream can be placed.
  const hub = hubNode('hub-1', ports.hubs[0], natsServers, o, false);
  started.push(hub);
  let up = false;
  const starting = hub.start().then(() => (up = true));
  await eventually(() => (lines.some((l) => l.startsWith('hub-1') && l.includes('waiting for JetStream')) ? true : undefined), 20_000, 100);
  expect(up).toBe(false);

  for (const n of others) started.push(n);
  await Promise.all(others.map((n) => n.start()));
  await starting;
  expect((await fetch(`${hub.url}/healthz`)).status).toBe(200);
  const nc = await connect({ servers: natsServers.split(','), user: 'hub', pass: TEST_PASSWORDS.hub });
  try {
    const jsm = await nc.jetstreamManager();
    const replicas: number[] = [];
    for await (const info of jsm.streams.list()) replicas.push(info.config.num_replicas);
    expect(replicas.length).toBeGreaterThanOrEqual(3);
    expect(new Set(replicas)).toEqual(new Set([3]));
  } finally {
    await nc.close();
  }
}, 90_000);
