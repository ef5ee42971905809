import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MessageFrame, SubscribedFrame } from '@pulse/hub/protocol';
import { TestWsClient } from '@pulse/hub/testing';
import { sleep, uniqueName, useSystem } from './helpers.js';
import { metricsSubject } from '@pulse/hub/protocol';

const SERIES = 12;
const RUN_MS = 7_000;


const sys = useSystem({ beforeAll, afterAll });

async function historySeqs(ch: string): Promise<number[]> {
  const body = (await (await fetch(`${sys.hub.url}/api/history?ch=${ch}&limit=2000`)).json()) as { messages: MessageFrame[] };
  return body.messages.map((m) => m.seq!);
}

describe('subscribe with since', () => {
  it('replays then goes live with every seq exactly once, in order, while publishing goes on', async () => {
    const prefix = uniqueName('test.resume');
    const channels = Array.from({ length: SERIES }, (_, i) => `metrics:${prefix}.s${i}`);

    // Samples keep flowing on every series for the whole test, so rollups land during each replay.
    let publishing = true;
    const publisher = (async () => {
      for (let n = 0; publishing; n++) {
        for (let i = 0; i < SERIES; i++) sys.service.publish(metricsSubject(`${prefix}.s${i}`), JSON.stringify(n));
        await sleep(20);
      }
    })();

    const received = new Map<string, number[]>(channels.map((ch) => [ch, []]));
    const positions = new Map<string, number>(channels.map((ch) => [ch, 0]));
    const deadline = Date.now() + RUN_MS;
    let round = 0;
    // Reconnect over and over, each time resuming every channel from the last seq seen.
    while (Date.now() < deadline) {
      round++;
      const ws = await TestWsClient.connect(sys.hub.wsUrl);
      for (const ch of channels) ws.send({ type: 'subscribe', ch, since: positions.get(ch) });
      for (let i = 0; i < SERIES; i++) {
        const s = await ws.next<SubscribedFrame>((f) => f.type === 'subscribed');
        expect(s.recovered).toBe(true);
      }
      const stayMs = 400 + (round % 3) * 500;
      const until = Date.now() + stayMs;
      while (Date.now() < until) {
        const m = await ws.next<MessageFrame>((f) => f.type === 'message', Math.max(1, until - Date.now())).catch(() => undefined);
        if (!m) break;
        received.get(m.ch)!.push(m.seq!);
        positions.set(m.ch, m.seq!);
      }
      // Cut without unsubscribing, as a dropped connection would.
      ws.ws.terminate();
    }
    publishing = false;
    await publisher;

    // A last resume after publishing stopped picks up the tail.
    await sleep(1500);
    const ws = await TestWsClient.connect(sys.hub.wsUrl);
    for (const ch of channels) ws.send({ type: 'subscribe', ch, since: positions.get(ch) });
    const subscribed = new Map<string, SubscribedFrame>();
    for (let i = 0; i < SERIES; i++) {
      const s = await ws.next<SubscribedFrame>((f) => f.type === 'subscribed');
      subscribed.set(s.ch, s);
    }
    for (const ch of channels) {
      const latest = subscribed.get(ch)!.seq;
      while ((positions.get(ch) ?? 0) < latest) {
        const m = await ws.next<MessageFrame>((f) => f.type === 'message' && f.ch === ch);
        received.get(ch)!.push(m.seq!);
        positions.set(ch, m.seq!);
      }
    }
    await ws.close();

    expect(round).toBeGreaterThan(3);
    let total = 0;
    for (const ch of channels) {
      const seqs = received.get(ch)!;
      total += seqs.length;
      expect(seqs, ch).toEqual(await historySeqs(ch));
    }
    expect(total).toBeGreaterThan(SERIES * 4);
  });

  it('answers recovered:true with nothing to replay when since is the latest seq', async () => {
    const series = uniqueName('test.latest');
    sys.service.publish(metricsSubject(series), '1');
    const ws = await TestWsClient.connect(sys.hub.wsUrl);
    let seq = 0;
    for (let i = 0; i < 40 && seq === 0; i++) {
      await sleep(150);
      seq = (await historySeqs(`metrics:${series}`)).at(-1) ?? 0;
    }
    expect(seq).toBeGreaterThan(0);
    ws.send({ type: 'subscribe', ch: `metrics:${series}`, since: seq });
    expect(await ws.next((f) => f.type === 'subscribed')).toMatchObject({ seq, recovered: true });
    ws.send({ type: 'ping' });
    // Nothing replayed: the next frame that is not about presence is the pong.
    expect(await ws.next((f) => f.type !== 'presence' && f.type !== 'presence_count')).toEqual({ type: 'pong' });
    await ws.close();
  });
});
