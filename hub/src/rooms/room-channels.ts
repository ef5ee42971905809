import { checkRoomName, fail, ok, parseRoomSubject, type ChannelName, type Result } from '../protocol/index.js';
import { isStoredRoomPart, type StoredRoomPart } from '../bus/streams.js';
import type { StreamHistory } from '../bus/stream-history.js';
import type { StreamMessage } from '../bus/live-feed.js';
import { channelMessage, type ChannelMessage } from '../channels/channel-message.js';
import type { ChannelSource, SyncResult } from '../channels/source.js';
import type { Coalescing } from '../channels/coalescing.js';
import { RoomHistory } from './room-history.js';
import { readRoomMessage } from './room-message.js';
import { RoomStates, type EvictionReason, type RoomSnapshot, type RoomStateLimits } from './room-states.js';
import { RecentMessages } from './recent-messages.js';

/** The message kinds `/api/history?kind=` may ask a room for, and the subject each lives on. */
export const ROOM_HISTORY_KINDS = ['chat', 'event', 'state'] as const;
export type RoomHistoryKind = (typeof ROOM_HISTORY_KINDS)[number];
const PART_OF_KIND: Record<RoomHistoryKind, StoredRoomPart> = { chat: 'chat', event: 'events', state: 'state' };

/**
 * A subscriber that missed more than this gets the latest state instead of a
 * replay (`recovered: false`): past it, the state is the shorter way back.
 */
export const MAX_ROOM_REPLAY = 5_000;

/**
 * `room:<room>` channels, backed by the rooms stream: the latest state first
 * (merged by the hub from the last full state and the patches after it), or
 * with `since` the missed messages where history still holds them all.
 */
export class RoomChannels implements ChannelSource {
  private readonly stored: RoomHistory;
  private readonly states: RoomStates;
  private readonly snapshotFrames = new Map<string, { stateSeq: number; message: ChannelMessage }>();
  private readonly recent = new RecentMessages();
  /** A slow subscriber's held patches give way to the room's state as this hub holds it. */
  private readonly latestState: Coalescing = {
    kind: 'room',
    stand: (newest) => {
      const snap = this.states.held(newest.ch.slice('room:'.length));
      return snap?.state === undefined ? undefined : this.snapshotMessage(newest.ch, snap);
    },
  };

  constructor(
    private readonly store: StreamHistory,
    limits: RoomStateLimits,
    private readonly watched: (ch: string) => boolean,
    onEvict: (reason: EvictionReason) => void,
    /** A resume read missed messages from history (not from recent ones). */
    private readonly onHistoryRead: () => void,
  ) {
    this.stored = new RoomHistory(store);
    this.states = new RoomStates(this.stored, limits, (room) => watched(`room:${room}`), (room, reason) => {
      this.snapshotFrames.delete(`room:${room}`);
      this.recent.drop(room);
      onEvict(reason);
    });
  }

  /** Drops room states and recent messages nobody here watches any more; see RoomStates and RecentMessages. */
  sweep(now: number): void {
    this.states.sweep(now);
    this.recent.sweep((room) => this.watched(`room:${room}`));
  }

  /** Recent messages kept for resumes: rooms, and bytes. */
  get recentHeld(): { rooms: number; bytes: number } {
    return this.recent.held;
  }

  /** Room states held, and their JSON size at the last sweep. */
  get held(): { rooms: number; bytes: number } {
    return { rooms: this.states.size, bytes: this.states.sizeBytes };
  }

  /**
   * A stored message on its way to live subscribers: the message for the
   * fan-out, or an error for a payload that breaks the contract.
   */
  fromStream(m: StreamMessage): Result<ChannelMessage> {
    const at = storedPartOf(m.subject);
    if (!at) return fail('bad_request', `${m.subject} is not a room subject`);
    const read = readRoomMessage(at.part, m.data);
    // The seq is taken even by a refused message, so the room's position still moves past it.
    this.states.observe(at.room, m.seq, m.ts, read.ok ? read.value.update : undefined);
    if (!read.ok) {
      this.recent.observe(at.room, m.seq, undefined);
      return read;
    }
    // State and patches can be coalesced for a slow subscriber; chat and events never are.
    const msg = channelMessage(`room:${at.room}`, m.seq, m.ts, read.value.data, read.value.update && this.latestState);
    this.recent.observe(at.room, m.seq, msg);
    return ok(msg);
  }

  async sync(ch: ChannelName, since: number | undefined): Promise<Result<SyncResult>> {
    const name = checkRoomName(ch.name);
    if (!name.ok) return name;
    if (since !== undefined) {
      // A crowd resuming together shares one read: the first fills the room's recent messages, the rest wait for it.
      const missed = (await this.recent.after(ch.name, since, () => this.missed(ch, since))) ?? (await this.missed(ch, since));
      if (missed) return ok({ seq: Math.max(since, missed.seq), messages: missed.messages, recovered: true });
    }
    const snap = await this.states.snapshot(ch.name);
    return ok({ seq: snap.seq, messages: snap.state === undefined ? [] : [this.snapshotMessage(ch.ch, snap)], recovered: false });
  }

  async history(ch: ChannelName, since: number | undefined, limit: number, kinds?: readonly RoomHistoryKind[]): Promise<Result<ChannelMessage[]>> {
    const name = checkRoomName(ch.name);
    if (!name.ok) return name;
    const parts = kinds?.map((k) => PART_OF_KIND[k]);
    const found = since === undefined ? await this.stored.tail(ch.name, limit, parts) : (await this.stored.after(ch.name, since, limit, parts)).messages;
    return ok(this.toMessages(ch.ch, found));
  }

  /** Every message after `since` from history, or undefined when history no longer holds them all (or there are too many). */
  private async missed(ch: ChannelName, since: number): Promise<{ seq: number; horizon: number; messages: ChannelMessage[] } | undefined> {
    this.onHistoryRead();
    if (since + 1 < (await this.store.firstSeq())) return undefined;
    const missed = await this.stored.after(ch.name, since, MAX_ROOM_REPLAY + 1);
    // Checked after the read: what aged out meanwhile is not claimed as replayed.
    if (!missed.complete || missed.messages.length > MAX_ROOM_REPLAY || since + 1 < (await this.store.firstSeq())) return undefined;
    return { seq: missed.horizon, horizon: missed.horizon, messages: this.toMessages(ch.ch, missed.messages) };
  }

  private toMessages(ch: string, stored: readonly StreamMessage[]): ChannelMessage[] {
    const out: ChannelMessage[] = [];
    for (const m of stored) {
      const at = storedPartOf(m.subject);
      const read = at && readRoomMessage(at.part, m.data);
      if (read?.ok) out.push(channelMessage(ch, m.seq, m.ts, read.value.data));
    }
    return out;
  }

  // Serialized once per state version: a crowd joining at once shares one frame.
  private snapshotMessage(ch: string, snap: RoomSnapshot): ChannelMessage {
    const cached = this.snapshotFrames.get(ch);
    if (cached && cached.stateSeq === snap.stateSeq) return cached.message;
    const data = Buffer.from(JSON.stringify({ kind: 'state', tick: snap.tick, state: snap.state }));
    const message = channelMessage(ch, snap.stateSeq, snap.ts, data);
    this.snapshotFrames.set(ch, { stateSeq: snap.stateSeq, message });
    return message;
  }
}

/** The room and part of a subject the rooms stream keeps. */
function storedPartOf(subject: string): { room: string; part: StoredRoomPart } | undefined {
  const at = parseRoomSubject(subject);
  return at && isStoredRoomPart(at.part) ? { room: at.room, part: at.part } : undefined;
}
