import { describe, expect, it } from 'vitest';
import { startHubProcess, startTestNats } from '@pulse/hub/testing';

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
});
