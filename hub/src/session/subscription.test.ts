import { describe, expect, it } from 'vitest';
import { channelMessage, type ChannelMessage } from '../channels/channel-message.js';
import { newestWins, type Coalescing } from '../channels/coalescing.js';
import { MAX_PENDING_DURING_SYNC, Subscription, type SubscriptionSink } from './subscription.js';
import { frameBytes } from './transport.js';

const msg = (seq: number, coalesce?: Coalescing) => channelMessage('metrics:x', seq, 1, Buffer.from(String(seq)), coalesce);

/** A sink that records what is sent; `behind` is the client's state the test sets. */
function sinkOf(extra: Partial<SubscriptionSink> = {}) {
  const sent: number[] = [];
  const state = { behind: false, holding: 0, coalesced: 0, overflowed: 0 };
  const sink: SubscriptionSink = {
    send: (_type, frame) => sent.push((JSON.parse(frameBytes(frame).toString()) as { seq: number }).seq),
    overflow: () => state.overflowed++,
    presenceDiff: false,
    behind: () => state.behind,
    holding: () => state.holding++,
    coalesced: () => state.coalesced++,
    ...extra,
  };
  return { sink, sent, state };
}

function setup(since?: number) {
  const { sink, sent, state } = sinkOf();
  const sub = new Subscription('metrics:x', sink, since);
  return { sub, sent, state, overflowed: () => state.overflowed };
}

describe('Subscription', () => {
  it('joins history and the messages held during sync without gap or duplicate', () => {
    const { sub, sent } = setup();
    sub.deliver(msg(5));
    sub.deliver(msg(6));
    sub.goLive(5, [msg(3), msg(4), msg(5)]);
    sub.deliver(msg(6));
    sub.deliver(msg(7));
    expect(sent).toEqual([3, 4, 5, 6, 7]);
    expect(sub.position).toBe(7);
  });

  it('without history, drops what is not newer than the sync position', () => {
    const { sub, sent } = setup();
    sub.deliver(msg(9));
    sub.deliver(msg(10));
    sub.goLive(9, []);
    expect(sent).toEqual([10]);
  });

  it('stands at since while syncing', () => {
    const { sub } = setup(4);
    expect(sub.position).toBe(4);
    sub.deliver(msg(5));
    expect(sub.position).toBe(4);
  });

  it('follows a stream that restarted below since', () => {
    const { sub, sent } = setup(10);
    sub.deliver(msg(4));
    sub.goLive(3, [msg(3)]);
    expect(sent).toEqual([3, 4]);
    expect(sub.position).toBe(4);
  });

  it('moves the position one replayed message at a time', () => {
    const seen: Array<number | undefined> = [];
    const sub: Subscription = new Subscription('metrics:x', sinkOf({ send: () => seen.push(sub.position) }).sink);
    sub.goLive(5, [msg(3), msg(4), msg(5)]);
    expect(seen).toEqual([3, 4, 5]);
  });

  it('gives up when too much piles up during sync', () => {
    const { sub, overflowed } = setup();
    for (let i = 1; i <= MAX_PENDING_DURING_SYNC + 1; i++) sub.deliver(msg(i));
    expect(overflowed()).toBe(1);
  });

  it('frames the stored payload without re-encoding it', () => {
    const m = channelMessage('metrics:a"b', 3, 4, Buffer.from('{"k":[1,2]}'));
    expect(JSON.parse(m.frame.toString())).toEqual({ type: 'message', ch: 'metrics:a"b', seq: 3, ts: 4, data: { k: [1, 2] } });
  });

  it('drops ephemeral frames while syncing and never moves the position for them', () => {
    const frames: string[] = [];
    const sub = new Subscription('room:r', sinkOf({ send: (type, frame) => frames.push(`${type} ${frameBytes(frame).toString()}`) }).sink);
    sub.deliverEphemeral('presence', 'during-sync');
    sub.goLive(4, []);
    sub.deliverEphemeral('presence', 'live');
    expect(frames).toEqual(['presence live']);
    expect(sub.position).toBe(4);
  });

  describe('behind a slow client', () => {
    const latest = newestWins('metrics');

    it('holds the newest coalescible message and sends it once the client catches up, the position staying at what was sent', () => {
      const { sub, sent, state } = setup();
      sub.goLive(0, []);
      sub.deliver(msg(1, latest));
      state.behind = true;
      for (let seq = 2; seq <= 5; seq++) sub.deliver(msg(seq, latest));
      expect(sent).toEqual([1]);
      expect(sub.position).toBe(1);
      expect(state).toMatchObject({ holding: 1, coalesced: 3 });
      state.behind = false;
      sub.release();
      expect(sent).toEqual([1, 5]);
      expect(sub.position).toBe(5);
      sub.release();
      expect(sent).toEqual([1, 5]);
    });

    it('never holds what cannot be coalesced, and sends what was held before it', () => {
      const { sub, sent, state } = setup();
      sub.goLive(0, []);
      state.behind = true;
      sub.deliver(msg(1, latest));
      sub.deliver(msg(2, latest));
      sub.deliver(msg(3));
      sub.deliver(msg(4));
      expect(sent).toEqual([2, 3, 4]);
    });

    it('sends what stands for the held messages, and skips what that already covers', () => {
      // A room: the current state stands for the patches held, and it may already include the next one.
      let current: ChannelMessage | undefined;
      const state: Coalescing = { kind: 'room', stand: () => current };
      const { sub, sent, state: client } = setup();
      sub.goLive(0, []);
      client.behind = true;
      sub.deliver(msg(1, state));
      sub.deliver(msg(2, state));
      current = msg(3);
      client.behind = false;
      sub.deliver(msg(3, state));
      expect(sent).toEqual([3]);
      expect(sub.position).toBe(3);
    });

    it('sends the held message itself when nothing newer can stand for it', () => {
      const gone: Coalescing = { kind: 'room', stand: () => undefined };
      const stale: Coalescing = { kind: 'room', stand: () => msg(1) };
      for (const coalesce of [gone, stale]) {
        const { sub, sent, state } = setup();
        sub.goLive(0, []);
        state.behind = true;
        sub.deliver(msg(2, coalesce));
        sub.release();
        expect(sent).toEqual([2]);
      }
    });
  });
});
