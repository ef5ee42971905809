import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect, type NatsConnection } from 'nats';
import { startTestNats, TEST_PASSWORDS, type TestNats } from '../testing/nats-server.js';
import { FRESH_CHECKPOINT, LEASES_BUCKET, PartitionLeases, type LeaseHolder } from './partition-leases.js';
import { decodeRecord, encodeRecord, type Checkpoint } from './partition-record.js';
import { ROLLUP_PARTITIONS } from './partitions.js';

// Leases against a real nats-server, with short timings so that deaths are noticed quickly.
const TIMING = { heartbeatMs: 100, leaseMs: 600 };

let nats: TestNats;
const connections: NatsConnection[] = [];

beforeAll(async () => {
  nats = await startTestNats();
});

afterAll(async () => {
  await Promise.allSettled(connections.map((c) => c.close()));
  await nats?.stop();
});

/** A member whose holder writes, as its checkpoint, the partition number and its name's length. */
class Member implements LeaseHolder {
  readonly held = new Map<number, Checkpoint>();
  readonly lostOnes: number[] = [];
  leases!: PartitionLeases;
  nc!: NatsConnection;

  constructor(readonly id: string) {}

  static async join(id: string): Promise<Member> {
    const m = new Member(id);
    m.nc = await connect({ servers: nats.url, user: 'hub', pass: TEST_PASSWORDS.hub });
    connections.push(m.nc);
    m.leases = await PartitionLeases.start(m.nc.jetstream(), id, m, () => undefined, { replicas: 1, timing: TIMING });
    return m;
  }

  checkpointOf(p: number): Checkpoint {
    return { closedThrough: { '1s': 1000 * p, '10s': 0, '1m': 0 }, replayFrom: 100 + this.id.length };
  }
  acquired(p: number, from: Checkpoint): void {
    this.held.set(p, from);
  }
  lost(p: number): void {
    this.lostOnes.push(p);
    this.held.delete(p);
  }
  async handOver(p: number): Promise<Checkpoint> {
    const c = this.checkpointOf(p);
    this.held.delete(p);
    return c;
  }
}

const until = async (check: () => boolean, ms = 10_000) => {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error('condition not met');
    await new Promise((r) => setTimeout(r, 50));
  }
};

/** Every partition held by exactly one member, and the shares even. */
const balanced = (members: Member[]) => {
  const all = members.flatMap((m) => [...m.held.keys()]);
  const shares = members.map((m) => m.held.size);
  return all.length === ROLLUP_PARTITIONS && new Set(all).size === ROLLUP_PARTITIONS && Math.max(...shares) - Math.min(...shares) <= 1;
};

describe('PartitionLeases', () => {
  let a: Member, b: Member, c: Member;

  it('gives a lone member every partition, fresh', async () => {
    a = await Member.join('a');
    await until(() => a.held.size === ROLLUP_PARTITIONS);
    expect([...a.held.values()].every((cp) => cp === FRESH_CHECKPOINT)).toBe(true);
  });

  it('shares the partitions evenly as members join, each handed over with its checkpoint', async () => {
    b = await Member.join('bb');
    c = await Member.join('ccc');
    await until(() => balanced([a, b, c]));
    // What b and c took, a handed over: a's checkpoints.
    for (const m of [b, c]) for (const [p, cp] of m.held) expect(cp).toEqual({ closedThrough: { '1s': 1000 * p, '10s': 0, '1m': 0 }, replayFrom: 101 });
    expect(a.lostOnes).toEqual([]);
  });

  it("takes a dead member's partitions after its lease, from its last checkpoint", async () => {
    // b renews with its own checkpoints from its first heartbeat on.
    await new Promise((r) => setTimeout(r, 3 * TIMING.heartbeatMs));
    const before = new Set(b.held.keys());
    await b.nc.close();
    await until(() => balanced([a, c]));
    for (const p of before) expect((a.held.get(p) ?? c.held.get(p))!.replayFrom).toBe(102);
  });

  it('hands everything over on stop, so the others take it without waiting for a lease', async () => {
    const started = Date.now();
    await c.leases.stop();
    await until(() => a.held.size === ROLLUP_PARTITIONS);
    expect(Date.now() - started).toBeLessThan(TIMING.leaseMs);
  });

  it('drops a partition whose entry someone else wrote, without writing it again', async () => {
    const kv = await a.nc.jetstream().views.kv(LEASES_BUCKET);
    const entry = (await kv.get('partition.3'))!;
    await kv.update('partition.3', encodeRecord({ owner: 'intruder', closedThrough: { '1s': 5_000, '10s': 0, '1m': 0 }, replayFrom: 7 }), entry.revision);
    await until(() => a.lostOnes.includes(3));
    expect(a.held.has(3)).toBe(false);
    await new Promise((r) => setTimeout(r, 3 * TIMING.heartbeatMs));
    const record = decodeRecord((await kv.get('partition.3'))!.value);
    expect(record.ok && record.value.owner).toBe('intruder');
  });
});
