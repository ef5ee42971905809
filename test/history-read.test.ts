import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect, type NatsConnection } from 'nats';
import type { MessageFrame, SubscribedFrame } from '@pulse/hub/protocol';
import { TEST_PASSWORDS, TestWsClient } from '@pulse/hub/testing';
import { sleep, uniqueName, useSystem } from './helpers.js';

const sys = useSystem({ beforeAll, afterAll });
let hubConn: NatsConnection;

beforeAll(async () => {
  hubConn = await connect({ servers: sys.nats.url, user: 'hub', pass: TEST_PASSWORDS.hub });
});

afterAll(async () => {
  process.kill(sys.nats.pid, 'SIGCONT');
  await hubConn?.close();
});

describe('history reads', () => {
  // A stream that stops answering for a moment must not turn a replay into a short one that claims to be whole.
  // Stalled at different moments of the read, so that one stall catches a fetch in flight, whose answer arrives after it expired.
  it.each([20, 60, 120])('never answers recovered: true for a replay it did not deliver in full, when NATS stalls %i ms into the read', async (stallAfterMs) => {
    const series = uniqueName('test.stall');
    const js = hubConn.jetstream();
    const stored: number[] = [];
    // Enough that reading them back takes many fetches.
    for (let chunk = 0; chunk < 20; chunk++) {
      const acks = await Promise.all(Array.from({ length: 1000 }, (_, i) => js.publish(`pulse.rollups.${series}`, JSON.stringify({ t: chunk * 1000 + i, count: 1 }))));
      stored.push(...acks.map((a) => a.seq));
    }

    const ws = await TestWsClient.connect(sys.hub.wsUrl);
    ws.send({ type: 'subscribe', ch: `metrics:${series}`, since: 0 });
    await sleep(stallAfterMs);
    process.kill(sys.nats.pid, 'SIGSTOP');
    await sleep(2600);
    process.kill(sys.nats.pid, 'SIGCONT');

    const sub = await ws.next<SubscribedFrame>((f) => f.type === 'subscribed', 30_000);
    const got: number[] = [];
    for (;;) {
      const m = await ws.next<MessageFrame>((f) => f.type === 'message', 1000).catch(() => undefined);
      if (!m) break;
      got.push(m.seq!);
    }
    await ws.close();
    expect(sub.recovered).toBe(true);
    expect(got).toEqual(stored);
  }, 60_000);
});
