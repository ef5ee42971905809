import type { ChannelMessage } from '../channels/channel-message.js';

/** Messages kept per room, and their bytes: past either, the oldest go. */
export const RECENT_MAX_MESSAGES = 1_000;
export const RECENT_MAX_BYTES = 512 * 1024;
/** Over every room: past it, the rooms used least recently lose theirs. */
export const RECENT_TOTAL_MAX_BYTES = 64 * 1024 * 1024;

/** What the history read that fills a room returns: its messages after `since`, up to `horizon`, all of them. */
export interface LoadedRead {
  messages: ChannelMessage[];
  horizon: number;
}

interface Recent {
  /** Every message of the room with a seq above this, up to `seq`, is in `messages`. */
  after: number;
  /** The room's newest seq this hub knows of. */
  seq: number;
  messages: ChannelMessage[];
  bytes: number;
}

interface Loading {
  after: number;
  done: Promise<void>;
  /** Live messages that arrive while the history is read. */
  held: Array<{ seq: number; msg: ChannelMessage | undefined }>;
}

/**
 * The newest messages of the rooms this hub's subscribers watch, kept from
 * the live feed, so that a crowd resuming at once (a restarted hub's clients,
 * all with much the same `since`) costs one history read rather than one
 * each: the first to ask fills the room from history, the others wait for it
 * and are answered from memory.
 *
 * Sound because the live feed hands each room's messages over in seq order
 * and skips none: once a room is filled from `after`, every message above
 * `after` is here up to `seq`, and a subscriber, registered before it asks,
 * gets every later one live.
 */
export class RecentMessages {
  private readonly rooms = new Map<string, Recent>();
  private readonly loading = new Map<string, Loading>();
  private total = 0;

  /**
   * The room's messages after `since` and its newest seq, from memory, filling
   * it first with `read` when nothing is kept for the room. Undefined when what
   * is kept starts after `since`, or the read did not return everything: the
   * caller reads history itself.
   */
  async after(room: string, since: number, read: () => Promise<LoadedRead | undefined>): Promise<{ seq: number; messages: ChannelMessage[] } | undefined> {
    if (!this.rooms.has(room)) {
      const loading = this.loading.get(room) ?? this.load(room, since, read);
      if (loading.after > since) return undefined;
      await loading.done;
    }
    const recent = this.rooms.get(room);
    if (!recent || recent.after > since) return undefined;
    // Re-inserted, so the map's order is the order of last use.
    this.rooms.delete(room);
    this.rooms.set(room, recent);
    return { seq: Math.max(since, recent.seq), messages: recent.messages.slice(firstAbove(recent.messages, since)) };
  }

  /** A message of the room from the live feed; `msg` is undefined for a payload that is never sent, whose seq still counts. */
  observe(room: string, seq: number, msg: ChannelMessage | undefined): void {
    const recent = this.rooms.get(room);
    if (recent) {
      if (seq > recent.seq) this.append(recent, seq, msg);
      return;
    }
    this.loading.get(room)?.held.push({ seq, msg });
  }

  /** Forgets the rooms nobody here watches any more. */
  sweep(watched: (room: string) => boolean): void {
    for (const room of [...this.rooms.keys()]) if (!watched(room)) this.drop(room);
  }

  /** Forgets the room. */
  drop(room: string): void {
    const recent = this.rooms.get(room);
    if (!recent) return;
    this.total -= recent.bytes;
    this.rooms.delete(room);
  }

  /** Rooms kept, and their messages' bytes. */
  get held(): { rooms: number; bytes: number } {
    return { rooms: this.rooms.size, bytes: this.total };
  }

  private load(room: string, since: number, read: () => Promise<LoadedRead | undefined>): Loading {
    const loading: Loading = { after: since, held: [], done: Promise.resolve() };
    loading.done = read()
      .then((got) => {
        if (!got) return;
        const recent: Recent = { after: since, seq: Math.max(since, got.horizon), messages: [], bytes: 0 };
        this.rooms.set(room, recent);
        for (const m of got.messages) this.append(recent, m.seq, m);
        for (const h of loading.held) if (h.seq > recent.seq) this.append(recent, h.seq, h.msg);
      })
      .catch(() => undefined)
      .finally(() => this.loading.delete(room));
    this.loading.set(room, loading);
    return loading;
  }

  private append(recent: Recent, seq: number, msg: ChannelMessage | undefined): void {
    recent.seq = seq;
    if (!msg) return;
    recent.messages.push(msg);
    recent.bytes += msg.frame.length;
    this.total += msg.frame.length;
    while (recent.messages.length > RECENT_MAX_MESSAGES || recent.bytes > RECENT_MAX_BYTES) {
      const oldest = recent.messages.shift()!;
      recent.after = oldest.seq;
      recent.bytes -= oldest.frame.length;
      this.total -= oldest.frame.length;
    }
    for (const [room, other] of this.rooms) {
      if (this.total <= RECENT_TOTAL_MAX_BYTES || other === recent) break;
      this.drop(room);
    }
  }
}

/** The index of the first message with a seq above `seq` (messages are in seq order). */
function firstAbove(messages: readonly ChannelMessage[], seq: number): number {
  let lo = 0;
  let hi = messages.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (messages[mid]!.seq <= seq) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
