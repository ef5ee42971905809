import { describe, expect, it } from 'vitest';
import { channelMessage } from '../channels/channel-message.js';
import { MAX_PENDING_DURING_SYNC, Subscription, type SubscriptionSink } from './subscription.js';
import { frameBytes } from './transport.js';

const msg = (seq: number) => channelMessage('metrics:x', seq, 1, Buffer.from(String(seq)));

function setup(since?: number) {
  const sent: number[] = [];
  let overflowed = 0;
  const sink: SubscriptionSink = {
    send: (_type, frame) => sent.push((JSON.parse(frameBytes(frame).toString()) as { seq: number }).seq),
    overflow: () => overflowed++,
    presenceDiff: false,
  };
  const sub = new Subscription('metrics:x', sink, since);
  return { sub, sent, overflowed: () => overflowed };
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
    const sub: Subscription = new Subscription('metrics:x', { send: () => seen.push(sub.position), overflow: () => undefined, presenceDiff: false });
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
    const sub = new Subscription('room:r', { send: (type, frame) => frames.push(`${type} ${frameBytes(frame).toString()}`), overflow: () => undefined, presenceDiff: false });
    sub.deliverEphemeral('presence', 'during-sync');
    sub.goLive(4, []);
    sub.deliverEphemeral('presence', 'live');
    expect(frames).toEqual(['presence live']);
    expect(sub.position).toBe(4);
  });
});
