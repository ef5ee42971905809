import { describe, expect, it } from 'vitest';
import { connect, DiscardPolicy, RetentionPolicy, StorageType } from 'nats';
import { roomSubject } from '@pulse/hub/protocol';
import { startHubProcess, startTestNats, TEST_PASSWORDS, TestWsClient, testToken, type HubProcess } from '@pulse/hub/testing';
import { sleep, uniqueName } from './helpers.js';

// Hubs that start together on a new deployment all create the same streams
// and buckets at once: every one of them must come up.

describe('hubs starting together', () => {
  it('all come up on a fresh nats-server, each time', async () => {
    for (let round = 0; round < 4; round++) {
      const nats = await startTestNats();
      try {
        const started = await Promise.allSettled([0, 1, 2].map(() => startHubProcess(nats.url)));
        const failed = started.filter((s) => s.status === 'rejected').map((s) => String((s as PromiseRejectedResult).reason).slice(0, 300));
        await Promise.allSettled(started.map((s) => (s.status === 'fulfilled' ? s.value.stop() : undefined)));
        expect(failed, `round ${round}`).toEqual([]);
      } finally {
        await nats.stop();
      }
    }
  }, 120_000);

  it('convert presence streams an earlier Pulse made in memory, both at once, and announce each change once', async () => {
    const nats = await startTestNats();
    const hubs: HubProcess[] = [];
    const nc = await connect({ servers: nats.url, user: 'hub', pass: TEST_PASSWORDS.hub });
    try {
      // As hubs before file storage made them.
      const jsm = await nc.jetstreamManager();
      const old = { retention: RetentionPolicy.Limits, storage: StorageType.Memory, max_age: 120e9, duplicate_window: 60e9, max_bytes: 64 * 1024 * 1024, discard: DiscardPolicy.Old, num_replicas: 1 };
      await jsm.streams.add({ ...old, name: 'PULSE_PRESENCE', subjects: ['pulse.presence.>'], republish: { src: 'pulse.presence.>', dest: 'presence.>' } });
      await jsm.streams.add({ ...old, name: 'PULSE_ROOM_PRESENCE', subjects: ['pulse.roompresence.*'], republish: { src: 'pulse.roompresence.*', dest: 'rooms.{{wildcard(1)}}.presence' } });

      const started = await Promise.allSettled([0, 1].map(() => startHubProcess(nats.url)));
      for (const s of started) if (s.status === 'fulfilled') hubs.push(s.value);
      expect(started.map((s) => s.status)).toEqual(['fulfilled', 'fulfilled']);
      for (const name of ['PULSE_PRESENCE', 'PULSE_ROOM_PRESENCE']) expect((await jsm.streams.info(name)).config.storage).toBe(StorageType.File);

      const room = uniqueName('up');
      const heard: string[] = [];
      const sub = nc.subscribe(roomSubject(room, 'presence'), {
        callback: (_err, m) => {
          const { event, member } = JSON.parse(m.string()) as { event: string; member: { id: string } };
          heard.push(`${event} ${member.id}`);
        },
      });
      await nc.flush();
      const clients = await Promise.all(hubs.map(async (h, i) => TestWsClient.connect(`${h.wsUrl}?ch=room:${room}&token=${await testToken('player', `up${i}`)}`)));
      await sleep(1_500);
      sub.unsubscribe();
      expect(heard.sort()).toEqual(['join up0', 'join up1']);
      await Promise.all(clients.map((c) => c.close()));
    } finally {
      await nc.close();
      await Promise.allSettled(hubs.map((h) => h.stop()));
      await nats.stop();
    }
  }, 60_000);
});
