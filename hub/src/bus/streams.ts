import { DiscardPolicy, RetentionPolicy, StorageType, type JetStreamManager, type StreamConfig } from 'nats';
import { METRICS_SUBJECTS, roomSubject, type RoomPart } from '../protocol/index.js';
import { ROLLUP_SUBJECTS, SAMPLES_TICK_SUBJECT } from './subjects.js';

/**
 * The JetStream streams the hub owns. Their sequence numbers are the channels'
 * `seq`, so they are the same on every hub of one deployment.
 */
export const ROLLUPS_STREAM = 'PULSE_ROLLUPS';
/**
 * Captures what game servers already publish (state, events) and the chat the
 * hub stores, so the stream numbers each message once however many hubs run.
 */
export const ROOMS_STREAM = 'PULSE_ROOMS';
/**
 * Captures the raw samples services publish on `metrics.>`, as they publish
 * them, so that rollups are computed from one ordered record with one clock
 * (the stream's), whichever hub computes them and however often that hub
 * changes. Kept only long enough to finish the open windows after a hub dies
 * or all hubs restart: it is a buffer, not history.
 */
export const SAMPLES_STREAM = 'PULSE_SAMPLES';
export const SAMPLES_MAX_AGE_MINUTES = 2;
const SAMPLES_MAX_BYTES = 1024 * 1024 * 1024;
/** The parts of a room the stream keeps; input and presence ride core NATS only. */
export const STORED_ROOM_PARTS = ['state', 'events', 'chat'] as const satisfies readonly RoomPart[];
export type StoredRoomPart = (typeof STORED_ROOM_PARTS)[number];

export function isStoredRoomPart(part: RoomPart): part is StoredRoomPart {
  return (STORED_ROOM_PARTS as readonly RoomPart[]).includes(part);
}
const ROOMS_SUBJECTS = STORED_ROOM_PARTS.map((part) => roomSubject('*', part));

const MINUTE_NS = 60 * 1_000_000_000;

export interface StreamSizing {
  /** How long rollups stay in history; the contract promises at least 15 minutes. */
  rollupsMaxAgeMinutes: number;
  /** How long room state, events and chat stay in history. */
  roomsMaxAgeMinutes: number;
  /** Copies of each stream (HUB_JS_REPLICAS). */
  replicas: number;
}

/**
 * A stream that is a channel history: file storage (history survives a restart
 * of nats-server), bounded by age and size, oldest dropped first. The
 * duplicate window lets every hub publish the same rollup as
 * `<series>:<window>` and keeps the first.
 */
function historyStream(name: string, subjects: string[], maxAgeMinutes: number, replicas: number): Partial<StreamConfig> & { name: string } {
  return {
    name,
    subjects,
    retention: RetentionPolicy.Limits,
    storage: StorageType.File,
    max_age: maxAgeMinutes * MINUTE_NS,
    max_bytes: 1024 * 1024 * 1024,
    discard: DiscardPolicy.Old,
    duplicate_window: 2 * MINUTE_NS,
    num_replicas: replicas,
  };
}

/** Creates each stream, or brings an existing one to the configured limits. */
export async function ensureStreams(jsm: JetStreamManager, sizing: StreamSizing): Promise<void> {
  await ensureStream(jsm, {
    name: SAMPLES_STREAM,
    subjects: [METRICS_SUBJECTS, SAMPLES_TICK_SUBJECT],
    retention: RetentionPolicy.Limits,
    // File storage: the open windows survive a restart of nats-server too.
    storage: StorageType.File,
    max_age: SAMPLES_MAX_AGE_MINUTES * MINUTE_NS,
    max_bytes: SAMPLES_MAX_BYTES,
    discard: DiscardPolicy.Old,
    duplicate_window: MINUTE_NS,
    num_replicas: sizing.replicas,
  });
  await ensureStream(jsm, historyStream(ROLLUPS_STREAM, [ROLLUP_SUBJECTS], sizing.rollupsMaxAgeMinutes, sizing.replicas));
  await ensureStream(jsm, historyStream(ROOMS_STREAM, ROOMS_SUBJECTS, sizing.roomsMaxAgeMinutes, sizing.replicas));
}

export async function ensureStream(jsm: JetStreamManager, config: Partial<StreamConfig> & { name: string }): Promise<void> {
  try {
    const current = (await jsm.streams.info(config.name)).config;
    // Only a change is sent: an update needs every replica's node up, and a hub must start while one is down.
    const changed = Object.entries(config).some(([key, value]) => JSON.stringify(current[key as keyof StreamConfig]) !== JSON.stringify(value));
    if (changed) await jsm.streams.update(config.name, config);
  } catch (err) {
    if (!isNotFound(err)) throw err;
    await jsm.streams.add(config);
  }
}

function isNotFound(err: unknown): boolean {
  return err instanceof Error && /stream not found/i.test(err.message);
}
