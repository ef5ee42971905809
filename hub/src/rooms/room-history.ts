import type { StreamHistory } from '../bus/stream-history.js';
import type { StreamMessage } from '../bus/live-feed.js';
import { STORED_PARTS, roomSubject, type RoomPart } from './room-subjects.js';

/** The first look back for the newest messages; doubled until enough are found. */
const FIRST_TAIL_WINDOW = 1024;

/**
 * A room's history over its three stored subjects. nats-server 2.9 gives a
 * consumer one filter subject, so each part is read on its own and the parts
 * are merged by stream sequence, which orders them exactly as they were stored.
 */
export class RoomHistory {
  constructor(readonly store: StreamHistory) {}

  /** Messages of the room with seq > after, oldest first, at most `limit`. */
  async after(room: string, after: number, limit: number, parts: readonly RoomPart[] = STORED_PARTS): Promise<StreamMessage[]> {
    const read = await Promise.all(parts.map((p) => this.store.read(roomSubject(room, p), after, limit)));
    return read.flat().sort((a, b) => a.seq - b.seq).slice(0, limit);
  }

  /** The newest `limit` messages, oldest first, reading back in growing windows instead of the whole history. */
  async tail(room: string, limit: number, parts: readonly RoomPart[] = STORED_PARTS): Promise<StreamMessage[]> {
    const last = await this.lastSeq(room, parts);
    if (last === 0) return [];
    const first = await this.store.firstSeq();
    for (let window = FIRST_TAIL_WINDOW; ; window *= 4) {
      const from = Math.max(first - 1, last - window);
      const found = await this.after(room, from, Number.MAX_SAFE_INTEGER, parts);
      if (found.length >= limit || from <= first - 1) return found.slice(-limit);
    }
  }

  /** The room's newest seq over every stored part, 0 when it has none. */
  async lastSeq(room: string, parts: readonly RoomPart[] = STORED_PARTS): Promise<number> {
    const seqs = await Promise.all(parts.map((p) => this.store.lastSeq(roomSubject(room, p))));
    return Math.max(0, ...seqs);
  }

  /**
   * The state subject from the newest full state on, reading back in growing
   * windows: a game server that sends a full state every few seconds costs a
   * few seconds of patches, not the whole history.
   */
  async sinceLastFullState(room: string, isFull: (m: StreamMessage) => boolean): Promise<StreamMessage[]> {
    const subject = roomSubject(room, 'state');
    const last = await this.store.lastSeq(subject);
    if (last === 0) return [];
    const first = await this.store.firstSeq();
    for (let window = FIRST_TAIL_WINDOW; ; window *= 4) {
      const from = Math.max(first - 1, last - window);
      const found = await this.store.read(subject, from, Number.MAX_SAFE_INTEGER);
      const full = findLastIndex(found, isFull);
      if (full >= 0) return found.slice(full);
      if (from <= first - 1) return found;
    }
  }
}

function findLastIndex<T>(items: readonly T[], test: (item: T) => boolean): number {
  for (let i = items.length - 1; i >= 0; i--) if (test(items[i]!)) return i;
  return -1;
}
