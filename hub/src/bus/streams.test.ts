import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect, DiscardPolicy, RetentionPolicy, StorageType, type JetStreamManager, type NatsConnection } from 'nats';
import { startTestNats, TEST_PASSWORDS, type TestNats } from '../testing/nats-server.js';
import { ensureStream } from './streams.js';

// Against a real nats-server: what JetStream refuses is the point.
let nats: TestNats;
let nc: NatsConnection;
let jsm: JetStreamManager;

beforeAll(async () => {
  nats = await startTestNats();
  nc = await connect({ servers: nats.url, user: 'hub', pass: TEST_PASSWORDS.hub });
  jsm = await nc.jetstreamManager();
});

afterAll(async () => {
  await nc?.close();
  await nats?.stop();
});

const config = (name: string, storage: StorageType) => ({
  name,
  subjects: [`pulse.test.${name}.>`],
  retention: RetentionPolicy.Limits,
  storage,
  max_age: 60 * 1_000_000_000,
  discard: DiscardPolicy.Old,
  num_replicas: 1,
});

describe('ensureStream', () => {
  it('makes a disposable stream again on the storage asked for, and the two hubs that do it at once both succeed', async () => {
    await ensureStream(jsm, config('MOVED', StorageType.Memory));
    await Promise.all([1, 2].map(() => ensureStream(jsm, config('MOVED', StorageType.File), { disposable: true })));
    expect((await jsm.streams.info('MOVED')).config.storage).toBe(StorageType.File);
    // Once moved, nothing more is done: the stream keeps what it took since.
    await nc.jetstream().publish('pulse.test.MOVED.a', 'kept');
    await ensureStream(jsm, config('MOVED', StorageType.File), { disposable: true });
    expect((await jsm.streams.info('MOVED')).state.messages).toBe(1);
  });

  it('leaves a stream that is not disposable as it is, and says why', async () => {
    await ensureStream(jsm, config('KEPT', StorageType.File));
    await nc.jetstream().publish('pulse.test.KEPT.a', 'history');
    await expect(ensureStream(jsm, config('KEPT', StorageType.Memory))).rejects.toThrow(/storage/i);
    const info = await jsm.streams.info('KEPT');
    expect(info.config.storage).toBe(StorageType.File);
    expect(info.state.messages).toBe(1);
  });

  it('updates a changed limit in place', async () => {
    await ensureStream(jsm, config('LIMITS', StorageType.File));
    await nc.jetstream().publish('pulse.test.LIMITS.a', 'x');
    await ensureStream(jsm, { ...config('LIMITS', StorageType.File), max_age: 120 * 1_000_000_000 }, { disposable: true });
    const info = await jsm.streams.info('LIMITS');
    expect(info.config.max_age).toBe(120 * 1_000_000_000);
    expect(info.state.messages).toBe(1);
  });
});
