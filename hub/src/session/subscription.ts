import type { ChannelMessage } from '../channels/channel-message.js';
import type { ChannelSubscriber, EphemeralType } from '../channels/registry.js';
import type { OutgoingFrame } from './transport.js';

/**
 * Live messages held back while a subscription replays history. Past this the
 * client is too slow or history too long to join gaplessly: the session is
 * closed with `overloaded` and the client resumes from its last seq.
 */
export const MAX_PENDING_DURING_SYNC = 10_000;

/** Where a subscription's frames go: its session. */
export interface SubscriptionSink {
  send(type: EphemeralType, frame: OutgoingFrame): void;
  readonly presenceDiff: boolean;
  /** Too much piled up while history was read. */
  overflow(sub: Subscription): void;
  /** Whether the client is behind: what could be coalesced is held instead of queued. */
  behind(): boolean;
  /** The subscription holds a message; the sink calls `release` once the client has caught up. */
  holding(sub: Subscription): void;
  /** A held message was replaced by a newer one, for `pulse_coalesced_total`. */
  coalesced(kind: string): void;
}

/**
 * One channel of one session. While it syncs it holds live messages back;
 * then it sends history and the held messages joined by seq, so the client
 * sees every message once, in order.
 *
 * It holds its session as an interface rather than closures: a hub keeps one
 * of these per subscriber, and closures over the subscribe call would keep
 * that call's whole scope alive as long as the subscription.
 */
export class Subscription implements ChannelSubscriber {
  private pending: ChannelMessage[] | undefined = [];
  /**
   * The session's position in the channel, for its cursor: the client's
   * `since` while syncing, then the seq of the last message sent. It moves
   * before the send, so the frame's cursor (SSE id, poll cursor) already
   * includes it.
   */
  position: number | undefined;
  /** Whether the session counts as present in the channel: set once synced, carried to a repeated subscribe. */
  present = false;
  /**
   * The newest message kept back from a client that is behind, standing for
   * every one since the last sent. The position stays at what was sent, so a
   * resume from the cursor still asks for them.
   */
  private held: ChannelMessage | undefined;

  constructor(
    readonly ch: string,
    private readonly sink: SubscriptionSink,
    since?: number,
  ) {
    this.position = since;
  }

  deliver(msg: ChannelMessage): void {
    if (this.pending) {
      if (this.pending.length >= MAX_PENDING_DURING_SYNC) this.sink.overflow(this);
      else this.pending.push(msg);
      return;
    }
    if (this.position !== undefined && msg.seq <= this.position) return;
    this.emit(msg);
  }

  // While syncing, ephemeral frames are dropped: what they tell is already in the state the sync delivers.
  get presenceDiff(): boolean {
    return this.sink.presenceDiff;
  }

  deliverEphemeral(type: EphemeralType, frame: Buffer | string): void {
    if (!this.pending) this.sink.send(type, frame);
  }

  /**
   * Ends the sync: `history` are the messages after the client's position,
   * `seq` the channel's latest when the sync read it.
   */
  goLive(seq: number, history: readonly ChannelMessage[]): void {
    const held = this.pending ?? [];
    this.pending = undefined;
    // From here the position is what was sent; `since` only stood in for it (and may be past a stream that was reset).
    this.position = undefined;
    // History first, one position at a time: a cursor taken mid-replay must not claim what is still to come.
    for (const msg of history) this.emit(msg);
    if (this.position === undefined || seq > this.position) this.position = seq;
    for (const msg of held) if (msg.seq > this.position) this.emit(msg);
  }

  /**
   * Sends what the held message stands for: itself, or a newer message that
   * covers it (a room's state for its patches). Where nothing can stand for
   * it any more, the held message itself goes.
   */
  release(): void {
    const held = this.held;
    if (!held) return;
    this.held = undefined;
    const stand = held.coalesce?.stand(held) ?? held;
    this.send(stand.seq >= held.seq ? stand : held);
  }

  private emit(msg: ChannelMessage): void {
    if (msg.coalesce && this.sink.behind()) {
      if (this.held) this.sink.coalesced(msg.coalesce.kind);
      else this.sink.holding(this);
      this.held = msg;
      return;
    }
    // What was held goes first: the client sees the channel in order, with nothing that cannot be coalesced skipped.
    this.release();
    // A room's state sent for what was held may already cover this message.
    if (this.position !== undefined && msg.seq <= this.position) return;
    this.send(msg);
  }

  private send(msg: ChannelMessage): void {
    if (this.position === undefined || msg.seq > this.position) this.position = msg.seq;
    this.sink.send('message', msg);
  }
}
