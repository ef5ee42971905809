import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { encodeCursor } from '../session/cursor.js';
import { POLL_ANSWER_MAX_BYTES, POLL_IDLE_MS, POLL_WAIT_MS, PollTransport } from './poll.js';

let ended = 0;
let positions: Array<{ ch: string; position: number }>;
let t: PollTransport;

beforeEach(() => {
  vi.useFakeTimers();
  ended = 0;
  positions = [];
  t = new PollTransport({ id: 's1', cursor: (answer) => encodeCursor(positions, answer) }, 100, () => ended++);
});

afterEach(() => {
  t.end();
  vi.useRealTimers();
});

const body = async (p: Promise<{ body: string }>) => JSON.parse((await p).body) as { session: string; cursor: string; frames: unknown[] };

describe('PollTransport', () => {
  it('answers at once with queued frames and the cursor after them', async () => {
    positions = [{ ch: 'metrics:a', position: 4 }];
    t.send('pong', '{"type":"pong"}');
    t.send('message', Buffer.from('{"type":"message","seq":4}'));
    expect(await body(t.poll(new AbortController().signal))).toEqual({
      session: 's1',
      cursor: 'v1~1;metrics:a@4',
      frames: [{ type: 'pong' }, { type: 'message', seq: 4 }],
    });
  });

  it('waits for frames, batching those of one turn, and answers empty after the wait', async () => {
    const waiting = t.poll(new AbortController().signal);
    t.send('pong', '{"type":"pong"}');
    t.send('pong', '{"type":"pong"}');
    await vi.advanceTimersByTimeAsync(1);
    expect((await body(waiting)).frames).toHaveLength(2);
    const empty = t.poll(new AbortController().signal);
    await vi.advanceTimersByTimeAsync(POLL_WAIT_MS);
    expect((await body(empty)).frames).toEqual([]);
  });

  it('ends a session nobody polls, but not while a poll waits', async () => {
    const aborter = new AbortController();
    void t.poll(aborter.signal);
    await vi.advanceTimersByTimeAsync(POLL_IDLE_MS + 1000);
    // The wait answered at 25 s; idling counts from then.
    expect(ended).toBe(0);
    await vi.advanceTimersByTimeAsync(POLL_IDLE_MS);
    expect(ended).toBe(1);
  });

  it('splits a large backlog over answers of bounded size, in order, the next one at once', async () => {
    const big = new PollTransport({ id: 's2', cursor: (answer) => encodeCursor([], answer) }, 16 * POLL_ANSWER_MAX_BYTES, () => undefined);
    const frame = (i: number) => Buffer.from(JSON.stringify({ type: 'message', seq: i, data: 'x'.repeat(100 * 1024) }));
    for (let i = 1; i <= 12; i++) big.send('message', frame(i));
    const seqs: number[] = [];
    let cursor: number | undefined;
    for (let polls = 0; polls < 12 && seqs.length < 12; polls++) {
      const answer = JSON.parse((await big.poll(new AbortController().signal, cursor)).body) as { frames: Array<{ seq: number }> };
      cursor = polls + 1;
      expect(JSON.stringify(answer).length).toBeLessThanOrEqual(POLL_ANSWER_MAX_BYTES + 1024);
      seqs.push(...answer.frames.map((f) => f.seq));
    }
    expect(seqs).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
    big.end();
  });

  it('reports a full queue and hands the last frames over before ending on close', async () => {
    expect(t.send('message', 'x'.repeat(60))).toBe(true);
    expect(t.send('message', 'x'.repeat(60))).toBe(false);
    t.close();
    expect(ended).toBe(0);
    const last = await t.poll(new AbortController().signal);
    expect(last.body).toContain('xxx');
    expect(ended).toBe(1);
  });

  it('numbers each answer in its cursor, and sends again what came after the answer a poll acknowledges', async () => {
    const signal = new AbortController().signal;
    t.send('pong', '"a"');
    const first = await body(t.poll(signal, 0));
    expect(first).toMatchObject({ cursor: 'v1~1', frames: ['a'] });
    t.send('pong', '"b"');
    // This answer is lost on its way: the next poll still acknowledges answer 1.
    expect((await body(t.poll(signal, 1))).frames).toEqual(['b']);
    t.send('pong', '"c"');
    const again = await body(t.poll(signal, 1));
    expect(again).toMatchObject({ cursor: 'v1~3', frames: ['b', 'c'] });
    t.send('pong', '"d"');
    expect((await body(t.poll(signal, 3))).frames).toEqual(['d']);
    expect(t.knows(4)).toBe(true);
    expect(t.knows(5)).toBe(false);
  });

  it('counts frames not yet acknowledged against the byte bound, and frees them once acknowledged', async () => {
    const signal = new AbortController().signal;
    expect(t.send('message', 'x'.repeat(60))).toBe(true);
    await t.poll(signal, 0);
    expect(t.send('message', 'y'.repeat(30))).toBe(true);
    expect(t.send('message', 'z'.repeat(30))).toBe(false);
    await t.poll(signal, 1);
    void t.poll(signal, 2);
    expect(t.send('message', 'w'.repeat(60))).toBe(true);
  });

  it('takes a poll without a cursor as acknowledging everything sent', async () => {
    const signal = new AbortController().signal;
    t.send('pong', '"a"');
    await t.poll(signal);
    t.send('pong', '"b"');
    expect((await body(t.poll(signal))).frames).toEqual(['b']);
  });
});
