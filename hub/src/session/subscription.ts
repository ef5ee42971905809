import type { ChannelMessage } from '../channels/channel-message.js';
import type { ChannelSubscriber } from '../channels/registry.js';
import type { Positions } from './cursor.js';
import type { OutgoingFrame } from './transport.js';

/**
 * Live messages held back while a subscription replays history. Past this the
 * client is too slow or history too long to join gaplessly: the session is
 * closed with `overloaded` and the client resumes from its last seq.
 */
export const MAX_PENDING_DURING_SYNC = 10_000;

/**
 * One channel of one session. While it syncs it holds live messages back;
 * then it sends history and the held messages joined by seq, so the client
 * sees every message once, in order.
 */
export class Subscription implements ChannelSubscriber {
  private pending: ChannelMessage[] | undefined = [];
  private lastSeq = 0;

  constructor(
    readonly ch: string,
    private readonly positions: Positions,
    private readonly send: (type: 'message' | 'presence' | 'presence_count', frame: OutgoingFrame) => void,
    private readonly overflow: () => void,
  ) {}

  deliver(msg: ChannelMessage): void {
    if (this.pending) {
      if (this.pending.length >= MAX_PENDING_DURING_SYNC) this.overflow();
      else this.pending.push(msg);
      return;
    }
    if (msg.seq <= this.lastSeq) return;
    this.emit(msg);
  }

  // While syncing, ephemeral frames are dropped: what they tell is already in the state the sync delivers.
  deliverEphemeral(type: 'message' | 'presence' | 'presence_count', frame: Buffer | string): void {
    if (!this.pending) this.send(type, frame);
  }

  /**
   * Ends the sync: `history` are the messages after the client's position,
   * `seq` the channel's latest when the sync read it.
   */
  goLive(seq: number, history: readonly ChannelMessage[]): void {
    const held = this.pending ?? [];
    this.pending = undefined;
    // History first, one position at a time: a cursor taken mid-replay must not claim what is still to come.
    for (const msg of history) this.emit(msg);
    if (seq > this.lastSeq) {
      this.lastSeq = seq;
      this.positions.set(this.ch, seq);
    }
    for (const msg of held) if (msg.seq > this.lastSeq) this.emit(msg);
  }

  // The position moves before the send, so the frame's cursor (SSE id, poll cursor) already includes it.
  private emit(msg: ChannelMessage): void {
    this.lastSeq = Math.max(this.lastSeq, msg.seq);
    this.positions.set(this.ch, this.lastSeq);
    this.send('message', msg);
  }
}
