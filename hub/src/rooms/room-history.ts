import type { HistoryRead, StreamHistory } from '../bus/stream-history.js';
import type { StreamMessage } from '../bus/live-feed.js';
import { STORED_ROOM_PARTS, type StoredRoomPart } from '../bus/streams.js';
import { roomSubject, roomWildcard } from '../protocol/index.js';

/** The first look back for the newest messages; doubled until enough are found. */
const FIRST_TAIL_WINDOW = 1024;

/** A read of a room, as of one point in its history. */
export interface RoomRead extends HistoryRead {
  /**
   * The room's newest seq when the read began: every message of the room up
   * to it is in `messages` (when complete), and nothing above it is.
   */
  horizon: number;
}

/**
 * A room's history over its three stored subjects. nats-server 2.9 gives a
 * consumer one filter subject, and `rooms.<room>.*` is no subset of the
 * stream's subjects, so each part is read on its own and the parts are
 * merged by stream sequence. Every read first takes
 * the room's newest seq as its horizon and reads each part up to it: parts
 * read by consumers made at slightly different moments would otherwise end
 * at different points, and the newest seq of one could pass a message of
 * another stored in between, which a subscriber then takes as already sent.
 */
export class RoomHistory {
  constructor(readonly store: StreamHistory) {}

  /** Messages of the room with seq > after, up to the room's newest now, oldest first, at most `limit`. */
  async after(room: string, after: number, limit: number, parts: readonly StoredRoomPart[] = STORED_ROOM_PARTS): Promise<RoomRead> {
    const horizon = await this.lastSeq(room);
    const reads = await Promise.all(parts.map((p) => this.store.read(roomSubject(room, p), after, limit, horizon)));
    return {
      messages: reads.flatMap((r) => r.messages).sort((a, b) => a.seq - b.seq).slice(0, limit),
      complete: reads.every((r) => r.complete),
      horizon,
    };
  }

  /** The newest `limit` messages, oldest first, reading back in growing windows instead of the whole history. */
  async tail(room: string, limit: number, parts: readonly StoredRoomPart[] = STORED_ROOM_PARTS): Promise<StreamMessage[]> {
    const last = await this.lastSeq(room);
    if (last === 0) return [];
    const first = await this.store.firstSeq();
    for (let window = FIRST_TAIL_WINDOW; ; window *= 4) {
      const from = Math.max(first - 1, last - window);
      const found = (await this.after(room, from, Number.MAX_SAFE_INTEGER, parts)).messages;
      if (found.length >= limit || from <= first - 1) return found.slice(-limit);
    }
  }

  /** The room's newest seq over every stored part, 0 when it has none: one look-up, where a wildcard is allowed. */
  lastSeq(room: string): Promise<number> {
    return this.store.lastSeq(roomWildcard(room));
  }

  /**
   * The state subject from the newest full state at or below `upTo` on,
   * reading back in growing windows: a game server that sends a full state
   * every few seconds costs a few seconds of patches, not the whole history.
   */
  async sinceLastFullState(room: string, upTo: number, isFull: (m: StreamMessage) => boolean): Promise<HistoryRead> {
    const subject = roomSubject(room, 'state');
    if (upTo === 0) return { messages: [], complete: true };
    const first = await this.store.firstSeq();
    for (let window = FIRST_TAIL_WINDOW; ; window *= 4) {
      const from = Math.max(first - 1, upTo - window);
      const found = await this.store.read(subject, from, Number.MAX_SAFE_INTEGER, upTo);
      const full = findLastIndex(found.messages, isFull);
      if (full >= 0) return { messages: found.messages.slice(full), complete: found.complete };
      if (from <= first - 1 || !found.complete) return found;
    }
  }
}

function findLastIndex<T>(items: readonly T[], test: (item: T) => boolean): number {
  for (let i = items.length - 1; i >= 0; i--) if (test(items[i]!)) return i;
  return -1;
}
