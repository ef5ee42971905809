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

/**
 * The merged state of every room this hub has been asked about, kept current
 * by the live feed. A room is read from history once, on its first
 * subscriber; after that a new subscriber costs no read at all.
 */
export class RoomStates {
  private readonly rooms = new Map<string, RoomSnapshot>();
  private readonly loading = new Map<string, Loading>();

  constructor(private readonly history: RoomHistory) {}

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

  /**
   * The room as of now. Taken synchronously once loaded, so a subscription
   * registered before the call holds back exactly the messages after `seq`.
   */
  async snapshot(room: string): Promise<RoomSnapshot> {
    if (!this.rooms.has(room)) await this.load(room);
    return { ...this.rooms.get(room)! };
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
