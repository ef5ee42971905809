import { DiscardPolicy, RetentionPolicy, StorageType, type JetStreamManager, type StreamConfig } from 'nats';

/**
 * The JetStream streams the hub owns. Their sequence numbers are the channels'
 * `seq`, so they are the same on every hub of one deployment.
 */
export const ROLLUPS_STREAM = 'PULSE_ROLLUPS';
export const ROLLUPS_SUBJECT_PREFIX = 'pulse.rollups.';

const MINUTE_NS = 60 * 1_000_000_000;

export interface StreamSizing {
  /** How long rollups stay in history; the contract promises at least 15 minutes. */
  rollupsMaxAgeMinutes: number;
}

export function rollupsStreamConfig(sizing: StreamSizing): Partial<StreamConfig> {
  return {
    name: ROLLUPS_STREAM,
    subjects: [`${ROLLUPS_SUBJECT_PREFIX}>`],
    retention: RetentionPolicy.Limits,
    // File storage: history survives a restart of nats-server, and rollups are small.
    storage: StorageType.File,
    max_age: sizing.rollupsMaxAgeMinutes * MINUTE_NS,
    max_bytes: 1024 * 1024 * 1024,
    discard: DiscardPolicy.Old,
    // Every hub publishes the same rollup as `<series>:<window>`; the window keeps the first.
    duplicate_window: 2 * MINUTE_NS,
    num_replicas: 1,
  };
}

/** Creates each stream, or brings an existing one to the configured limits. */
export async function ensureStreams(jsm: JetStreamManager, sizing: StreamSizing): Promise<void> {
  const config = rollupsStreamConfig(sizing);
  try {
    await jsm.streams.info(ROLLUPS_STREAM);
    await jsm.streams.update(ROLLUPS_STREAM, config);
  } catch (err) {
    if (!isNotFound(err)) throw err;
    await jsm.streams.add(config);
  }
}

function isNotFound(err: unknown): boolean {
  return err instanceof Error && /stream not found/i.test(err.message);
}
