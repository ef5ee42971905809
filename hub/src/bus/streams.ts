import { DiscardPolicy, RetentionPolicy, StorageType, type JetStreamManager, type StreamConfig } from 'nats';
import { METRICS_SUBJECTS, ROLLUP_WINDOWS, roomSubject, type RollupWindow, type RoomPart } from '../protocol/index.js';
import { DOC_SUBJECTS, INBOX_SUBJECTS, SAMPLES_TICK_SUBJECT, rollupSubjects } from './subjects.js';

const GIB = 1024 * 1024 * 1024;

/**
 * The JetStream streams the hub owns. Their sequence numbers are the channels'
 * `seq`, so they are the same on every hub of one deployment.
 */
export const ROLLUPS_STREAM = 'PULSE_ROLLUPS';
/** Each window length's rollups, in a stream of its own: the longer ones are kept for hours or days. */
export const ROLLUP_STREAMS: Readonly<Record<RollupWindow, string>> = { '1s': ROLLUPS_STREAM, '10s': 'PULSE_ROLLUPS_10S', '1m': 'PULSE_ROLLUPS_1M' };
/** A week of one-minute rollups with their sketches is about 4 MB a series. */
const ROLLUP_MAX_BYTES: Readonly<Record<RollupWindow, number>> = { '1s': GIB, '10s': GIB, '1m': 2 * GIB };
/**
 * Captures what game servers already publish (state, events) and the chat the
 * hub stores, so the stream numbers each message once however many hubs run.
 */
export const ROOMS_STREAM = 'PULSE_ROOMS';
/**
 * Captures the raw samples services publish on `metrics.>`, as they publish
 * them, so that rollups are computed from one ordered record with one clock
 * (the stream's), whichever hub computes them and however often that hub
 * changes. Kept only long enough to finish the open windows (a minute's, the
 * longest) after a hub dies or all hubs restart: it is a buffer, not history.
 */
export const SAMPLES_STREAM = 'PULSE_SAMPLES';
export const SAMPLES_MAX_AGE_MINUTES = 3;
/**
 * Every person's notifications and read-state changes: kept per person (a
 * limit per subject) and by age, on file, deduplicated by a sender's `key`
 * for 10 minutes.
 */
export const INBOX_STREAM = 'PULSE_INBOX';
/** Shared documents' updates and compacted chunks, kept until a compaction replaces them: a document has no age. */
export const DOCS_STREAM = 'PULSE_DOCS';
/** The parts of a room the stream keeps; input and presence ride core NATS only. */
export const STORED_ROOM_PARTS = ['state', 'events', 'chat'] as const satisfies readonly RoomPart[];
export type StoredRoomPart = (typeof STORED_ROOM_PARTS)[number];

export function isStoredRoomPart(part: RoomPart): part is StoredRoomPart {
  return (STORED_ROOM_PARTS as readonly RoomPart[]).includes(part);
}
const ROOMS_SUBJECTS = STORED_ROOM_PARTS.map((part) => roomSubject('*', part));

const MINUTE_NS = 60 * 1_000_000_000;

export interface StreamSizing {
  /** How long rollups stay in history per window length; the contract promises at least 15 minutes, 6 hours and 7 days. */
  rollupsMaxAgeMinutes: Record<RollupWindow, number>;
  /** How long room state, events and chat stay in history. */
  roomsMaxAgeMinutes: number;
  /** Notifications kept per person, and for how long (HUB_INBOX_MAX_PER_USER, HUB_INBOX_MAX_AGE_D). */
  inbox: { perUser: number; maxAgeDays: number };
  /** Copies of each stream (HUB_JS_REPLICAS). */
  replicas: number;
}

/**
 * A stream that is a channel history: file storage (history survives a restart
 * of nats-server), bounded by age and size, oldest dropped first. The
 * duplicate window lets every hub publish the same rollup as
 * `<series>:<window>` and keeps the first.
 */
function historyStream(name: string, subjects: string[], maxAgeMinutes: number, replicas: number, maxBytes = GIB): Partial<StreamConfig> & { name: string } {
  return {
    name,
    subjects,
    retention: RetentionPolicy.Limits,
    storage: StorageType.File,
    max_age: maxAgeMinutes * MINUTE_NS,
    max_bytes: maxBytes,
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
    max_bytes: GIB,
    discard: DiscardPolicy.Old,
    duplicate_window: MINUTE_NS,
    num_replicas: sizing.replicas,
  });
  for (const w of ROLLUP_WINDOWS) {
    await ensureStream(jsm, historyStream(ROLLUP_STREAMS[w], [rollupSubjects(w)], sizing.rollupsMaxAgeMinutes[w], sizing.replicas, ROLLUP_MAX_BYTES[w]));
  }
  await ensureStream(jsm, historyStream(ROOMS_STREAM, ROOMS_SUBJECTS, sizing.roomsMaxAgeMinutes, sizing.replicas));
  await ensureStream(jsm, {
    ...historyStream(INBOX_STREAM, [INBOX_SUBJECTS], sizing.inbox.maxAgeDays * 24 * 60, sizing.replicas),
    max_msgs_per_subject: sizing.inbox.perUser,
    duplicate_window: 10 * MINUTE_NS,
  });
  await ensureStream(jsm, { ...historyStream(DOCS_STREAM, [DOC_SUBJECTS], 0, sizing.replicas), max_bytes: 4 * GIB });
}

/**
 * Creates the stream, or brings an existing one to `config`. JetStream cannot
 * change a stream's storage in place: a `disposable` stream (one whose
 * messages need not outlive the change) stored otherwise is deleted and made
 * again; any other is left to the update, which refuses it.
 */
export async function ensureStream(jsm: JetStreamManager, config: Partial<StreamConfig> & { name: string }, opts: { disposable?: boolean } = {}): Promise<void> {
  let current: StreamConfig;
  try {
    current = (await jsm.streams.info(config.name)).config;
  } catch (err) {
    if (!isNotFound(err)) throw err;
    return create(jsm, config);
  }
  if (opts.disposable && config.storage !== undefined && current.storage !== config.storage) {
    await jsm.streams.delete(config.name).catch((err: unknown) => {
      if (!isNotFound(err)) throw err;
    });
    return create(jsm, config);
  }
  // Only a change is sent: an update needs every replica's node up, and a hub must start while one is down.
  const changed = Object.entries(config).some(([key, value]) => JSON.stringify(current[key as keyof StreamConfig]) !== JSON.stringify(value));
  if (changed) await jsm.streams.update(config.name, config);
}

async function create(jsm: JetStreamManager, config: Partial<StreamConfig> & { name: string }): Promise<void> {
  try {
    await jsm.streams.add(config);
  } catch (addErr) {
    // Two hubs that start together both find the stream missing and both create it; the server
    // refuses the second ("subjects overlap"). Made by the other hub, from the same code: done.
    if (!(await jsm.streams.info(config.name).then(() => true, () => false))) throw addErr;
  }
}

function isNotFound(err: unknown): boolean {
  return err instanceof Error && /stream not found/i.test(err.message);
}
