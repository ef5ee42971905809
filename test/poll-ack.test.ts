import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MessageFrame, ServerFrame } from '@pulse/hub/protocol';
import { sleep, uniqueName, useSystem } from './helpers.js';
import { metricsSubject } from '@pulse/hub/protocol';

const sys = useSystem({ beforeAll, afterAll });

interface Answer {
  session: string;
  cursor: string;
  frames: ServerFrame[];
}

async function poll(query: string): Promise<Answer> {
  const res = await fetch(`${sys.hub.url}/api/poll?${query}`);
  expect(res.status).toBe(200);
  return (await res.json()) as Answer;
}

const seqsOf = (a: Answer) => a.frames.filter((f): f is MessageFrame => f.type === 'message').map((m) => m.seq!);

/** A poll session on a series that is being published to, as any HTTP client would drive it. */
async function pollingSeries(): Promise<{ first: Answer; publish: (n: number) => Promise<void> }> {
  const series = uniqueName('test.pollack');
  const first = await poll(`ch=metrics:${series}`);
  await sleep(300);
  return {
    first,
    publish: async (n) => {
      for (let i = 0; i < n; i++) sys.service.publish(metricsSubject(series), String(i));
      await sys.service.flush();
      // One rollup per second: wait for the windows to close.
      await sleep(1600);
    },
  };
}

describe('long-poll cursor as an acknowledgement', () => {
  it('sends an answer again when the next poll shows it was not received, and never twice once it was', async () => {
    const { first, publish } = await pollingSeries();
    const s = encodeURIComponent(first.session);
    await publish(3);
    const lost = await poll(`session=${s}&cursor=${encodeURIComponent(first.cursor)}`);
    expect(seqsOf(lost).length).toBeGreaterThan(0);
    // That answer never reached the client: it polls again with the cursor it had.
    const again = await poll(`session=${s}&cursor=${encodeURIComponent(first.cursor)}`);
    expect(seqsOf(again)).toEqual(seqsOf(lost));
    expect(again.cursor).not.toBe(first.cursor);
    // Acknowledged: what comes next is only what is new.
    await publish(2);
    const next = await poll(`session=${s}&cursor=${encodeURIComponent(again.cursor)}`);
    expect(seqsOf(next).length).toBeGreaterThan(0);
    expect(Math.min(...seqsOf(next))).toBeGreaterThan(Math.max(...seqsOf(again)));
  });

  it.each([
    ['malformed', 'v1;metrics:x'],
    ['foreign', 'eyJ2IjoxfQ'],
    ['ahead of the session', 'v1~999'],
  ])('answers a %s cursor on a continuing poll with 400', async (_what, cursor) => {
    const { first } = await pollingSeries();
    const res = await fetch(`${sys.hub.url}/api/poll?session=${encodeURIComponent(first.session)}&cursor=${encodeURIComponent(cursor)}`);
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('bad_request');
  });
});

describe('long-poll wait', () => {
  it('answers an idle poll with no frames after the wait it asks for', async () => {
    let answer = await poll(`ch=metrics:${uniqueName('test.pollwait')}`);
    const s = encodeURIComponent(answer.session);
    // The subscription's own frames (subscribed, presence) go first; then nothing is left to take.
    for (let i = 0; i < 5; i++) {
      const started = Date.now();
      answer = await poll(`session=${s}&cursor=${encodeURIComponent(answer.cursor)}&wait=1000`);
      if (answer.frames.length > 0) continue;
      const waited = Date.now() - started;
      expect(waited).toBeGreaterThanOrEqual(900);
      expect(waited).toBeLessThan(5_000);
      return;
    }
    throw new Error(`no empty answer in 5 polls; the last held ${JSON.stringify(answer.frames)}`);
  });

  it.each(['999', '25001', 'soon', '-1', '1e4'])('answers wait=%s with 400', async (wait) => {
    const first = await poll(`ch=metrics:${uniqueName('test.pollwait')}`);
    const res = await fetch(`${sys.hub.url}/api/poll?session=${encodeURIComponent(first.session)}&cursor=${encodeURIComponent(first.cursor)}&wait=${wait}`);
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: { code: string; message: string } }).error.message).toContain('wait');
  });
});
