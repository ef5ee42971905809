import { describe, expect, it } from 'vitest';
import { channelMessage } from '../channels/channel-message.js';
import { Positions } from './cursor.js';
import { MAX_PENDING_DURING_SYNC, Subscription } from './subscription.js';
import { frameBytes } from './transport.js';

const msg = (seq: number) => channelMessage('metrics:x', seq, 1, Buffer.from(String(seq)));

function setup() {
  const sent: number[] = [];
  let overflowed = 0;
  const positions = new Positions();
  const sub = new Subscription(
    'metrics:x',
    positions,
    (_type, frame) => sent.push((JSON.parse(frameBytes(frame).toString()) as { seq: number }).seq),
    () => overflowed++,
  );
  return { sub, sent, positions, overflowed: () => overflowed };
}

describe('Subscription', () => {
  it('joins history and the messages held during sync without gap or duplicate', () => {
    const { sub, sent, positions } = setup();
    sub.deliver(msg(5));
    sub.deliver(msg(6));
    sub.goLive(5, [msg(3), msg(4), msg(5)]);
    sub.deliver(msg(6));
    sub.deliver(msg(7));
    expect(sent).toEqual([3, 4, 5, 6, 7]);
    expect(positions.get('metrics:x')).toBe(7);
  });

  it('without history, drops what is not newer than the sync position', () => {
    const { sub, sent } = setup();
    sub.deliver(msg(9));
    sub.deliver(msg(10));
    sub.goLive(9, []);
    expect(sent).toEqual([10]);
  });

  it('moves the position one replayed message at a time', () => {
    const seen: Array<number | undefined> = [];
    const positions = new Positions();
    const sub = new Subscription('metrics:x', positions, () => seen.push(positions.get('metrics:x')), () => undefined);
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
    const positions = new Positions();
    const sub = new Subscription('room:r', positions, (type, frame) => frames.push(`${type} ${frameBytes(frame).toString()}`), () => undefined);
    sub.deliverEphemeral('presence', 'during-sync');
    sub.goLive(4, []);
    sub.deliverEphemeral('presence', 'live');
    expect(frames).toEqual(['presence live']);
    expect(positions.get('room:r')).toBe(4);
  });
});
