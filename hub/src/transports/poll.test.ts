import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { POLL_IDLE_MS, POLL_WAIT_MS, PollTransport } from './poll.js';

let ended = 0;
let cursor: string;
let t: PollTransport;

beforeEach(() => {
  vi.useFakeTimers();
  ended = 0;
  cursor = 'v1';
  t = new PollTransport({ id: 's1', cursor: () => cursor }, 100, () => ended++);
});

afterEach(() => {
  t.end();
  vi.useRealTimers();
});

const body = async (p: Promise<{ body: string }>) => JSON.parse((await p).body) as { session: string; cursor: string; frames: unknown[] };

describe('PollTransport', () => {
  it('answers at once with queued frames and the cursor after them', async () => {
    cursor = 'v1;metrics:a@4';
    t.send('pong', '{"type":"pong"}');
    t.send('message', Buffer.from('{"type":"message","seq":4}'));
    expect(await body(t.poll(new AbortController().signal))).toEqual({
      session: 's1',
      cursor: 'v1;metrics:a@4',
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

  it('reports a full queue and hands the last frames over before ending on close', async () => {
    expect(t.send('message', 'x'.repeat(60))).toBe(true);
    expect(t.send('message', 'x'.repeat(60))).toBe(false);
    t.close();
    expect(ended).toBe(0);
    const last = await t.poll(new AbortController().signal);
    expect(last.body).toContain('xxx');
    expect(ended).toBe(1);
  });
});
