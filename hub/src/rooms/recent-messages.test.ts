import { describe, expect, it } from 'vitest';
import { channelMessage } from '../channels/channel-message.js';
import { RECENT_MAX_MESSAGES, RecentMessages, type LoadedRead } from './recent-messages.js';

const msg = (seq: number) => channelMessage('room:r', seq, seq, Buffer.from(`{"n":${seq}}`));
const seqs = (got: { messages: Array<{ seq: number }> } | undefined) => got?.messages.map((m) => m.seq);

/** A history read the test settles by hand. */
function pendingRead() {
  let reads = 0;
  let settle: (r: LoadedRead | undefined) => void = () => undefined;
  const read = () => {
    reads++;
    return new Promise<LoadedRead | undefined>((r) => (settle = r));
  };
  return { read, settle: (r: LoadedRead | undefined) => settle(r), reads: () => reads };
}

describe('RecentMessages', () => {
  it('answers a crowd resuming from the same place with one read', async () => {
    const recent = new RecentMessages();
    const h = pendingRead();
    const asks = Array.from({ length: 10 }, () => recent.after('r', 4, h.read));
    h.settle({ messages: [msg(5), msg(6)], horizon: 6 });
    const got = await Promise.all(asks);
    expect(h.reads()).toBe(1);
    for (const g of got) expect(g).toMatchObject({ seq: 6 });
    for (const g of got) expect(seqs(g)).toEqual([5, 6]);
    // Later resumes from further on come from memory too.
    expect(seqs(await recent.after('r', 5, h.read))).toEqual([6]);
    expect(h.reads()).toBe(1);
  });

  it('keeps what arrives live while the room is read, and nothing twice', async () => {
    const recent = new RecentMessages();
    const h = pendingRead();
    const ask = recent.after('r', 4, h.read);
    // Stored before the read took its horizon (so in the read too), then after it.
    recent.observe('r', 6, msg(6));
    recent.observe('r', 7, msg(7));
    recent.observe('r', 8, undefined);
    h.settle({ messages: [msg(5), msg(6)], horizon: 6 });
    expect(await ask).toMatchObject({ seq: 8 });
    expect(seqs(await ask)).toEqual([5, 6, 7]);
    recent.observe('r', 9, msg(9));
    expect(seqs(await recent.after('r', 7, h.read))).toEqual([9]);
  });

  it('leaves to the caller a resume from before what it keeps, and a read that did not return everything', async () => {
    const recent = new RecentMessages();
    const h = pendingRead();
    const first = recent.after('r', 10, h.read);
    // Asked while the room is filled from 10: it starts earlier, so it is not served from it.
    expect(await recent.after('r', 3, h.read)).toBeUndefined();
    h.settle({ messages: [msg(11)], horizon: 11 });
    expect(seqs(await first)).toEqual([11]);
    expect(await recent.after('r', 3, h.read)).toBeUndefined();

    const failing = recent.after('other', 1, h.read);
    h.settle(undefined);
    expect(await failing).toBeUndefined();
    // Nothing kept: the next one reads again.
    const again = recent.after('other', 1, h.read);
    h.settle({ messages: [msg(2)], horizon: 2 });
    expect(seqs(await again)).toEqual([2]);
  });

  it('keeps at most RECENT_MAX_MESSAGES per room, and no room nobody watches', async () => {
    const recent = new RecentMessages();
    const h = pendingRead();
    const ask = recent.after('r', 0, h.read);
    h.settle({ messages: [], horizon: 0 });
    await ask;
    for (let seq = 1; seq <= RECENT_MAX_MESSAGES + 10; seq++) recent.observe('r', seq, msg(seq));
    expect(await recent.after('r', 5, h.read)).toBeUndefined();
    expect(seqs(await recent.after('r', 10, h.read))?.length).toBe(RECENT_MAX_MESSAGES);
    recent.sweep(() => false);
    expect(recent.held).toEqual({ rooms: 0, bytes: 0 });
  });
});
