import type { StreamMessage } from '../bus/live-feed.js';
import { mergePatch, type Json } from '../protocol/merge-patch.js';
import { readRoomMessage, type StateUpdate } from './room-message.js';
import type { RoomHistory } from './room-history.js';

/** A room as a new subscriber first sees it. */
export interface RoomSnapshot {
  /** The room's newest seq over state, events and chat: everything up to it is in this snapshot or before it. */
  seq: number;
  /** The seq of the newest state or patch merged into `state`. */
  stateSeq: number;
  tick: number;
  ts: number;
  /** Undefined while the game server has sent no state. */
  state: Json | undefined;
}

interface Loading {
  done: Promise<void>;
  /** Live messages that arrive while history is read, applied once it is. */
  held: Array<{ seq: number; ts: number; update: StateUpdate | undefined }>;
}

/** How many room states a hub keeps, and for how long nobody here watches one before it goes. */
export interface RoomStateLimits {
  idleMs: number;
  maxRooms: number;
  /** Of the states' JSON, measured at each sweep. */
  maxBytes: number;
}

export type EvictionReason = 'idle' | 'count' | 'bytes';

/**
 * The merged state of the rooms this hub's subscribers watch, kept current
 * by the live feed. A room is read from history on its first subscriber;
 * after that a new subscriber costs no read at all. A room nobody here has
 * watched for `idleMs` is dropped (read again if someone comes back), and
 * past `maxRooms` or `maxBytes` the least recently used unwatched rooms go
 * first, so room names chosen by clients cannot grow the hub's memory.
 */
export class RoomStates {
  /** In order of last use, oldest first. */
  private readonly rooms = new Map<string, RoomSnapshot>();
  private readonly lastUsed = new Map<string, number>();
  private readonly loading = new Map<string, Loading>();
  private bytes = 0;

  constructor(
    private readonly history: RoomHistory,
    private readonly limits: RoomStateLimits,
    /** Whether a session of this hub subscribes to the room now. */
    private readonly watched: (room: string) => boolean,
    private readonly onEvict: (room: string, reason: EvictionReason) => void,
  ) {}

  get size(): number {
    return this.rooms.size;
  }

  /** The states' JSON size at the last sweep. */
  get sizeBytes(): number {
    return this.bytes;
  }

  /** Drops what nobody watches for too long, then the least recently used unwatched rooms while over a limit. */
  sweep(now: number): void {
    const sizes = new Map<string, number>();
    let total = 0;
    // Over a copy: touching a room moves it to the end of the map.
    for (const [room, snap] of [...this.rooms]) {
      if (this.watched(room)) this.touch(room, now);
      else if (now - (this.lastUsed.get(room) ?? 0) >= this.limits.idleMs) {
        this.evict(room, 'idle');
        continue;
      }
      const size = snap.state === undefined ? 0 : JSON.stringify(snap.state).length;
      sizes.set(room, size);
      total += size;
    }
    for (const room of [...this.rooms.keys()]) {
      const over = this.rooms.size > this.limits.maxRooms ? 'count' : total > this.limits.maxBytes ? 'bytes' : undefined;
      if (!over) break;
      if (this.watched(room)) continue;
      total -= sizes.get(room) ?? 0;
      this.evict(room, over);
    }
    this.bytes = total;
  }

  /** Every stored room message, from the live feed, in stream order. */
  observe(room: string, seq: number, ts: number, update: StateUpdate | undefined): void {
    const loading = this.loading.get(room);
    if (loading) {
      loading.held.push({ seq, ts, update });
      return;
    }
    const snap = this.rooms.get(room);
    if (snap) apply(snap, seq, ts, update);
  }

  /** The room as of now where this hub holds it, without reading history. */
  held(room: string): RoomSnapshot | undefined {
    return this.loading.has(room) ? undefined : this.rooms.get(room);
  }

  /**
   * The room as of now. Taken synchronously once loaded, so a subscription
   * registered before the call holds back exactly the messages after `seq`.
   */
  async snapshot(room: string): Promise<RoomSnapshot> {
    if (!this.rooms.has(room)) await this.load(room);
    this.touch(room, Date.now());
    return { ...this.rooms.get(room)! };
  }

  private touch(room: string, now: number): void {
    const snap = this.rooms.get(room);
    if (!snap) return;
    // Re-inserted, so the map's order stays the order of last use.
    this.rooms.delete(room);
    this.rooms.set(room, snap);
    this.lastUsed.set(room, now);
  }

  private evict(room: string, reason: EvictionReason): void {
    this.rooms.delete(room);
    this.lastUsed.delete(room);
    this.onEvict(room, reason);
  }

  private load(room: string): Promise<void> {
    let loading = this.loading.get(room);
    if (loading) return loading.done;
    const held: Loading['held'] = [];
    const done = this.read(room)
      .then((snap) => {
        for (const m of held) apply(snap, m.seq, m.ts, m.update);
        this.rooms.set(room, snap);
      })
      .finally(() => this.loading.delete(room));
    loading = { done, held };
    this.loading.set(room, loading);
    return done;
  }

  /**
   * The room up to its newest seq when the read began: every state and patch
   * up to that seq is merged, so a subscriber holding live messages above it
   * misses none.
   */
  private async read(room: string): Promise<RoomSnapshot> {
    const seq = await this.history.lastSeq(room);
    const states = await this.history.sinceLastFullState(room, seq, isFullState);
    if (!states.complete) throw new Error(`the state of room ${room} could not be read in full`);
    const snap: RoomSnapshot = { seq, stateSeq: 0, tick: 0, ts: 0, state: undefined };
    for (const m of states.messages) apply(snap, m.seq, m.ts, updateOf(m));
    return snap;
  }
}

function isFullState(m: StreamMessage): boolean {
  const u = updateOf(m);
  return u !== undefined && 'state' in u;
}

function updateOf(m: StreamMessage): StateUpdate | undefined {
  const r = readRoomMessage('state', m.data);
  return r.ok ? r.value.update : undefined;
}

// Messages at or below what the snapshot holds are skipped, so history and held live messages may overlap.
function apply(snap: RoomSnapshot, seq: number, ts: number, update: StateUpdate | undefined): void {
  if (seq <= snap.seq && (update === undefined || seq <= snap.stateSeq)) return;
  snap.seq = Math.max(snap.seq, seq);
  if (!update || seq <= snap.stateSeq) return;
  snap.state = 'state' in update ? update.state : mergePatch(snap.state ?? {}, update.patch);
  snap.tick = update.tick;
  snap.stateSeq = seq;
  snap.ts = ts;
}
