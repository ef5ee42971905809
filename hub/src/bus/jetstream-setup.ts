import type { JetStreamManager, NatsConnection } from 'nats';
import { ensureStreams, type StreamSizing } from './streams.js';

const FIRST_PAUSE_MS = 250;
const MAX_PAUSE_MS = 5_000;

/**
 * Pulse's streams, created or brought to their configuration, however long
 * JetStream takes to accept them: a hub may start before its NATS cluster has
 * elected a leader, or has the nodes its replicas need, as when every
 * machine of a deployment boots at once. Each refusal is reported and tried
 * again after a growing pause; only a closed connection ends the wait.
 */
export async function setUpStreams(nc: NatsConnection, sizing: StreamSizing, waiting: (err: unknown) => void): Promise<JetStreamManager> {
  for (let pause = FIRST_PAUSE_MS; ; pause = Math.min(pause * 2, MAX_PAUSE_MS)) {
    try {
      const jsm = await nc.jetstreamManager();
      await ensureStreams(jsm, sizing);
      return jsm;
    } catch (err) {
      if (nc.isClosed()) throw err;
      waiting(err);
      await new Promise((r) => setTimeout(r, pause));
    }
  }
}
