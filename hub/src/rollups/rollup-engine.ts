import type { JetStreamClient, JetStreamManager, JsMsg, NatsConnection, StreamInfo } from 'nats';
import { ROLLUP_WINDOW_MS, baseSeries, seriesOfMetricsSubject, type PulseError, type Rollup, type RollupWindow } from '../protocol/index.js';
import { SAMPLES_STREAM } from '../bus/streams.js';
import { SAMPLES_TICK_SUBJECT } from '../bus/subjects.js';
import { StreamReader } from '../bus/stream-reader.js';
import { parseMetricPayload } from '../ingest/sample.js';
import { MAX_FUTURE_MS, windowFloor, type SampleOutcome } from './aggregator.js';
import { OwnedPartition } from './owned-partition.js';
import { PartitionLeases, type LeaseHolder, type LeaseTiming } from './partition-leases.js';
import type { Checkpoint } from './partition-record.js';
import { partitionOf } from './partitions.js';
import type { RollupPublisher } from './rollup-publisher.js';

/** How often a hub that rolls up marks the stream's time, so windows close when samples stop. */
const TICK_MS = 200;
/** Windows are closed when the stream's time has moved at least this far since the last look. */
const CLOSE_CHECK_MS = 20;
/** A handover waits at most this long for closed windows to be stored. */
const HANDOVER_WAIT_MS = 10_000;
/** How far the hub's clock may be from nats-server's, for judging when the stream dropped a message by age. */
const CLOCK_SKEW_MS = 5_000;
/** A move that could not ask the stream where it starts asks again after this long. */
const RETRY_MOVE_MS = 1_000;
/** A stream this full may have dropped messages for size rather than age. */
const NEARLY_FULL = 0.9;

export interface RollupEvents {
  /** A sample no window counts. */
  dropped: (reason: Exclude<SampleOutcome, 'accepted' | 'published'>) => void;
  /** Samples in a window this process stored (each sample once: counted from its untagged series). */
  counted: (samples: number) => void;
  badPayload: (subject: string, error: PulseError) => void;
  /** Windows up to `until` were not stored: the samples stream no longer held what they were made of. */
  skipped: (partition: number, until: number) => void;
  error: (what: string, err: unknown) => void;
}

/**
 * Exact rollups with any number of hub processes. Samples are captured by the
 * PULSE_SAMPLES stream as services publish them; this process reads the
 * stream with one consumer, parses only the samples of the partitions it
 * holds (PartitionLeases), and rolls them up in stream time (RollupAggregator),
 * so whoever holds a partition computes the same rollups from the same
 * messages. A new holder starts at the previous one's checkpoint: nothing is
 * counted twice or left out, whether the previous one handed over, stalled
 * or was killed.
 */
export class RollupEngine implements LeaseHolder {
  private readonly owned = new Map<number, OwnedPartition>();
  private readonly reader: StreamReader;
  private leases: PartitionLeases | undefined;
  private readonly decoder = new TextDecoder();
  private tick: NodeJS.Timeout | undefined;
  /** The last seq delivered, and the newest storage time seen (ms). */
  private position = 0;
  private watermark = -Infinity;
  private checkedAt = -Infinity;
  /** Set from a change of partitions until the reader has moved: what it delivers meanwhile is read again. */
  private moving = false;

  private constructor(
    private readonly nc: NatsConnection,
    js: JetStreamClient,
    private readonly jsm: JetStreamManager,
    private readonly publisher: RollupPublisher,
    private readonly events: RollupEvents,
  ) {
    this.reader = new StreamReader(js, SAMPLES_STREAM, (m, gap) => this.read(m, gap), (err) => events.error('samples-reader', err));
  }

  static async start(
    nc: NatsConnection,
    processId: string,
    publisher: RollupPublisher,
    events: RollupEvents,
    opts: { replicas: number; timing?: LeaseTiming },
  ): Promise<RollupEngine> {
    const js = nc.jetstream();
    const engine = new RollupEngine(nc, js, await nc.jetstreamManager(), publisher, events);
    engine.leases = await PartitionLeases.start(js, processId, engine, (err) => events.error('rollup-leases', err), { replicas: opts.replicas, ...(opts.timing && { timing: opts.timing }) });
    engine.tick = setInterval(() => {
      if (engine.owned.size > 0) engine.nc.publish(SAMPLES_TICK_SUBJECT);
    }, TICK_MS);
    return engine;
  }

  /** The partitions this process rolls up now. */
  get partitions(): number[] {
    return this.leases?.partitions ?? [];
  }

  /** Hands every partition over (open windows are left to the next holder, not stored partial) and stops reading. */
  async stop(): Promise<void> {
    clearInterval(this.tick);
    await this.leases?.stop();
    await this.reader.stop();
  }

  checkpointOf(partition: number): Checkpoint {
    return this.owned.get(partition)!.checkpoint(this.position);
  }

  acquired(partition: number, from: Checkpoint): void {
    // The partitions being read have read everything up to here: a move back must not feed them again.
    for (const p of this.owned.values()) if (!p.pending) p.nextSeq = Math.max(p.nextSeq, this.position + 1);
    this.owned.set(partition, new OwnedPartition(from, (window, series, rollup) => this.store(window, series, rollup)));
    if (this.moving) return;
    this.moving = true;
    // Partitions are taken several in one round: move once, to the earliest of them.
    setImmediate(() => void this.move().catch((err: unknown) => this.events.error('samples-reader', err)));
  }

  lost(partition: number): void {
    this.release(partition);
  }

  async handOver(partition: number): Promise<Checkpoint> {
    const p = this.release(partition)!;
    await Promise.race([p.settled(), new Promise((r) => setTimeout(r, HANDOVER_WAIT_MS))]);
    // Not this.position: the reader went on while the rollups were stored, and this partition read none of it.
    return p.checkpoint(p.nextSeq - 1);
  }

  private async store(window: RollupWindow, series: string, rollup: Rollup): Promise<void> {
    if ((await this.publisher.publish(window, series, rollup)) && window === '1s' && baseSeries(series) === series) this.events.counted(rollup.count);
  }

  /**
   * Sends the reader back to the earliest seq a partition needs. Where the
   * stream no longer holds it, the windows its dropped messages may have fed
   * are skipped first, and reading starts at the first message it holds.
   */
  private async move(): Promise<void> {
    let info: StreamInfo;
    try {
      info = await this.jsm.streams.info(SAMPLES_STREAM);
    } catch (err) {
      // Nothing is read while a move waits: try again rather than stall.
      setTimeout(() => void this.move().catch((e: unknown) => this.events.error('samples-reader', e)), RETRY_MOVE_MS);
      throw err;
    }
    if (this.owned.size === 0) {
      this.moving = false;
      return;
    }
    const from = Math.min(...[...this.owned.values()].map((p) => p.nextSeq));
    if (from < info.state.first_seq) this.skipLost(info.state.first_seq, lostUntil(info));
    const start = Math.max(from, info.state.first_seq);
    this.position = start - 1;
    const moved = this.reader.readFrom(start);
    // From here every partition has read, or lost, everything before `start`.
    for (const p of this.owned.values()) p.pending = false;
    this.moving = false;
    await moved;
  }

  /** A process that holds no partition reads nothing. */
  private release(partition: number): OwnedPartition | undefined {
    const p = this.owned.get(partition);
    if (p && !p.pending) p.nextSeq = Math.max(p.nextSeq, this.position + 1);
    this.owned.delete(partition);
    if (this.owned.size === 0) void this.reader.stop();
    return p;
  }

  private read(m: JsMsg, gapBefore: boolean): void {
    if (this.moving) return;
    const seq = m.seq;
    this.position = seq;
    const series = seriesOfMetricsSubject(m.subject);
    const partition = series === undefined ? undefined : this.owned.get(partitionOf(series));
    // The hot path: a sample of a partition held elsewhere costs a hash of its subject, nothing more.
    if (series !== undefined && !gapBefore && (partition === undefined || seq < partition.nextSeq)) return;
    const storedAt = Math.floor(m.info.timestampNanos / 1e6);
    if (gapBefore) this.skipLost(seq, storedAt);
    if (partition && series !== undefined && seq >= partition.nextSeq) {
      partition.nextSeq = seq + 1;
      const parsed = parseMetricPayload(series, this.decoder.decode(m.data), storedAt);
      if (!parsed.ok) this.events.badPayload(m.subject, parsed.error);
      else {
        for (const s of parsed.value) {
          const outcome = partition.add(s.series, s.value, s.ts, storedAt, seq);
          if (outcome === 'late' || outcome === 'future') this.events.dropped(outcome);
        }
      }
    }
    if (storedAt > this.watermark) this.watermark = storedAt;
    if (this.watermark - this.checkedAt < CLOSE_CHECK_MS) return;
    this.checkedAt = this.watermark;
    for (const p of this.owned.values()) p.close(this.watermark, this.position);
  }

  /**
   * The stream no longer holds messages before `seq` that a partition
   * needed, all stored at or before `lostUntil`. A sample may belong to a
   * window up to MAX_FUTURE_MS after the moment it was stored, so the windows
   * before that could miss samples: they are not stored at all rather than
   * stored short.
   */
  private skipLost(seq: number, lostUntil: number): void {
    const boundary = windowFloor(lostUntil + MAX_FUTURE_MS) + ROLLUP_WINDOW_MS;
    for (const [n, p] of this.owned) {
      if (p.nextSeq >= seq) continue;
      p.skipUntil(boundary);
      this.events.skipped(n, boundary);
    }
  }
}

/**
 * The latest storage time a message the stream has dropped can have. Dropped
 * for age, it was stored over max_age ago; near its size limit, the stream
 * may have dropped messages just before the first one it holds.
 */
function lostUntil(info: StreamInfo): number {
  const first = info.state.messages > 0 ? Date.parse(info.state.first_ts) : Infinity;
  if (info.config.max_bytes > 0 && info.state.bytes >= NEARLY_FULL * info.config.max_bytes) return first;
  return Math.min(first, Date.now() - info.config.max_age / 1e6 + CLOCK_SKEW_MS);
}
