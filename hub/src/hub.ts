import type { JetStreamClient, JetStreamManager, NatsConnection, Subscription } from 'nats';
import { parseChannel, ROLLUP_WINDOWS, type ChannelKind, type PulseError, type Rollup, type RollupWindow, type TransportKind } from './protocol/index.js';
import { BusState } from './bus/connect.js';
import { LiveFeed, SLOW_CONSUMER_PENDING, type LiveFeedEvents, type StreamMessage } from './bus/live-feed.js';
import { StreamHistory } from './bus/stream-history.js';
import { setUpStreams } from './bus/jetstream-setup.js';
import { InfluxSubscription } from './ingest/influx-subscription.js';
import { SampleWriter } from './ingest/sample-writer.js';
import { DOCS_STREAM, INBOX_STREAM, ROLLUP_STREAMS, ROOMS_STREAM } from './bus/streams.js';
import { DocLog, COMPACT_AFTER } from './docs/doc-log.js';
import { DocChannels, DocPublisher } from './docs/doc-channels.js';
import { YjsDocs } from './docs/yjs-docs.js';
import { InboxChannels } from './inbox/inbox-channels.js';
import { InboxStore } from './inbox/inbox-store.js';
import { AlertRules } from './alerts/alert-rules.js';
import { AlertEvaluator } from './alerts/alert-evaluator.js';
import { partitionOf } from './rollups/partitions.js';
import { docOfSubject, seriesOfRollupSubject } from './bus/subjects.js';
import { subscribeNotify } from './inbox/notify-subscription.js';
import { channelMessage } from './channels/channel-message.js';
import { ChannelRegistry } from './channels/registry.js';
import { PageChannels } from './channels/page-channels.js';
import { StatusChannels } from './presence/status-channels.js';
import type { ChannelSource } from './channels/source.js';
import { Presence } from './presence/presence.js';
import { NEWEST_ROLLUP, RollupChannels } from './rollups/rollup-channels.js';
import { RollupPublisher } from './rollups/rollup-publisher.js';
import { RollupEngine } from './rollups/rollup-engine.js';
import { RoomChannels } from './rooms/room-channels.js';
import { RoomPublisher } from './rooms/room-publisher.js';
import { TypingRelay } from './rooms/typing-relay.js';
import { FiguresSampler } from './ops/figures-sampler.js';
import { OpsChannels } from './ops/ops-channels.js';
import { SessionTable } from './session/session-table.js';
import { LIMIT_KINDS, type LimitKind, type Traffic } from './session/session.js';
import { newProcessId } from './session/session-id.js';
import { ReplayGate } from './session/replay-gate.js';
import { Stats, type Counter } from './stats/counters.js';
import { ThrottledLog } from './stats/throttled-log.js';
import type { Config } from './config.js';
import { Identity } from './auth/identity.js';

const LOG_INTERVAL_MS = 10_000;
/** How often per-hub state nobody uses is looked for. */
const SWEEP_EVERY_MS = 10_000;
/** How often sessions are looked at at most for idling and stalled peers. */
const SESSION_SWEEP_MAX_MS = 5_000;

const COALESCED_HELP = 'Messages held for a subscriber that fell behind and replaced by a newer one (the newest rollup of a series, a room\'s state), by channel kind';
const SLOW_CONSUMERS_HELP = `Times a live feed fell ${SLOW_CONSUMER_PENDING} messages behind its stream, by stream`;

function jetStreamErrors(stats: Stats, op: string): Counter {
  return stats.counter('pulse_jetstream_errors_total', 'JetStream and KV operations that failed, by operation', { op });
}

/** What exists before the hub: the pieces presence needs while the hub is still being built. */
interface Basics {
  nc: NatsConnection;
  jsm: JetStreamManager;
  config: Config;
  stats: Stats;
  registry: ChannelRegistry;
  log: ThrottledLog;
  presence: Presence;
  inbox: InboxStore;
  alerts: AlertRules;
  docLog: DocLog;
}

/**
 * The hub's parts wired together: NATS in, channels and sessions out. The
 * HTTP app and the transports sit on top of it (app.ts).
 */
export class Hub {
  readonly nc: NatsConnection;
  readonly jsm: JetStreamManager;
  readonly js: JetStreamClient;
  readonly config: Config;
  readonly stats: Stats;
  readonly registry: ChannelRegistry;
  readonly log: ThrottledLog;
  readonly presence: Presence;
  readonly sessions: SessionTable;
  readonly sources: Partial<Record<ChannelKind, ChannelSource>>;
  /** The rollup channels of each window length, which also answer `/api/history` by time range. */
  readonly rollupChannels: Record<RollupWindow, RollupChannels>;
  readonly rooms: RoomChannels;
  readonly bus: BusState;
  readonly statuses: StatusChannels;
  /** Every person's notifications and read state. */
  readonly inbox: InboxStore;
  readonly alerts: AlertRules;
  private readonly evaluator: AlertEvaluator;
  /** Shared documents over y-websocket's protocol (`/yjs/<name>`). */
  readonly yjs: YjsDocs;
  /** Who a token speaks for, for requests and for sessions' `auth` frames alike. */
  readonly identity: Identity;
  private readonly docLog: DocLog;
  private readonly appendsSinceCompaction = new Map<string, number>();
  private readonly decoder = new TextDecoder();
  private notify: Subscription | undefined;
  /** Where ingest (HTTP, ingest.influx) stores its samples. */
  readonly samples: SampleWriter;
  private influx: InfluxSubscription | undefined;
  private readonly typing: TypingRelay;
  private readonly ops: OpsChannels;
  private readonly publisher: RollupPublisher;
  private readonly feeds: LiveFeed[] = [];
  private rollups: RollupEngine | undefined;
  private readonly sweepTimer: NodeJS.Timeout;
  private readonly sessionSweepTimer: NodeJS.Timeout;
  private readonly replays: ReplayGate;

  private constructor(b: Basics) {
    ({ nc: this.nc, jsm: this.jsm, config: this.config, stats: this.stats, registry: this.registry, log: this.log, presence: this.presence, inbox: this.inbox, alerts: this.alerts, docLog: this.docLog } = b);
    const docsRefused = (reason: string) => this.stats.counter('pulse_doc_refused_total', 'Document messages refused, by reason', { reason }).inc();
    // Typing sends an update per keystroke and awareness per cursor move: a session's frame rate, not its publish rate.
    const docRate = { perSecond: this.config.limits.framePerSecond, burst: this.config.limits.frameBurst };
    const docCaps = { connections: this.config.limits.connections, perUser: this.config.limits.sessionsPerUser };
    this.yjs = new YjsDocs(this.nc, b.docLog, docRate, docCaps, (name) => this.docStored(name), docsRefused, {
      watched: (ch) => this.registry.has(ch),
      deliver: (ch, frame) => this.registry.publishEphemeral(ch, 'message', frame),
    });
    const alertFailed = this.stats.counter('pulse_alert_failures_total', 'Alert notifications that could not be sent');
    this.evaluator = new AlertEvaluator(
      this.alerts,
      (series) => this.rollups?.partitions.includes(partitionOf(series)) ?? false,
      (owner, n) => this.inbox.send(owner, n, Date.now()),
      (err) => {
        alertFailed.inc();
        this.log.warn('alert', `an alert notification was not sent: ${String(err)}`);
      },
    );
    this.js = this.nc.jetstream();
    this.samples = new SampleWriter(this.js);
    this.bus = new BusState(this.nc);
    const evicted = (reason: string) => this.stats.counter('pulse_room_states_evicted_total', 'Room states dropped from memory, by reason', { reason });
    const resumeReads = this.stats.counter('pulse_room_resume_reads_total', 'Reads of room history for subscribes with since that recent messages in memory could not answer');
    this.rooms = new RoomChannels(
      new StreamHistory(this.js, this.jsm, ROOMS_STREAM),
      this.config.roomStates,
      (ch) => this.registry.has(ch),
      (reason) => evicted(reason).inc(),
      () => resumeReads.inc(),
    );
    this.statuses = new StatusChannels(this.registry, (id) => this.presence.status(id));
    const sampler = new FiguresSampler(this.config.name, this.stats, {
      draining: () => this.sessions.isDraining,
      natsConnected: () => this.bus.connected,
      sessions: () => this.sessions.countsByTransport(),
    });
    this.ops = new OpsChannels(this.nc, sampler, (ch, frame) => this.registry.publishEphemeral(ch, 'message', frame));
    this.rollupChannels = Object.fromEntries(ROLLUP_WINDOWS.map((w) => [w, new RollupChannels(new StreamHistory(this.js, this.jsm, ROLLUP_STREAMS[w]), w)])) as Record<RollupWindow, RollupChannels>;
    this.sources = {
      metrics: this.rollupChannels['1s'],
      metrics10s: this.rollupChannels['10s'],
      metrics1m: this.rollupChannels['1m'],
      room: this.rooms,
      page: new PageChannels(),
      inbox: new InboxChannels(new StreamHistory(this.js, this.jsm, INBOX_STREAM)),
      doc: new DocChannels(new StreamHistory(this.js, this.jsm, DOCS_STREAM), (name) => this.yjs.greeting(name)),
      status: this.statuses,
      ops: this.ops,
    };
    this.typing = new TypingRelay(this.nc, (ch, frame) => this.registry.publishEphemeral(ch, 'message', frame), (ch) => this.registry.has(ch));

    const coalesced = (kind: string) => this.stats.counter('pulse_coalesced_total', COALESCED_HELP, { kind });
    // Made once per transport: sessions take theirs as they open, and a crowd opening must not pay label lookups.
    const traffic: Partial<Record<TransportKind, Traffic>> = {};
    const catchUp = this.stats.histogram('pulse_subscribe_catch_up_seconds', 'Time from a subscribe to its last replayed message sent (history read, waiting its turn included)', [0.005, 0.025, 0.1, 0.5, 1, 2.5, 10]);
    const replayed = this.stats.counter('pulse_replayed_messages_total', 'History messages replayed to subscribers catching up');
    const clientErrors = (code: string) => this.stats.counter('pulse_client_errors_total', 'Error frames sent to clients, by code', { code });
    this.replays = new ReplayGate(this.config.limits.replaysPerHub, this.config.limits.replaysPerSession);
    this.identity = new Identity({ secret: this.config.jwtSecret, allowAnonymous: this.config.allowAnonymous });
    this.sessions = new SessionTable({
      registry: this.registry,
      replays: this.replays,
      sources: this.sources,
      publishers: { room: new RoomPublisher(this.nc, this.js, this.typing), doc: new DocPublisher(b.docLog, (name) => this.docStored(name), (name, awareness, user) => this.yjs.publishAwareness(name, awareness, user)) },
      presence: this.presence,
      limits: this.config.limits,
      policy: { opsPublic: this.config.opsPublic },
      authenticate: (token) => this.identity.authenticate(token),
      onLimit: (kind) => this.countLimit(kind),
      onClientError: (e: PulseError) => clientErrors(e.code).inc(),
      onSyncFailure: (ch, err) => {
        this.countJetStreamError('history_read');
        this.log.warn('history', `reading ${ch} failed: ${String(err)}`);
      },
      traffic: (transport) => (traffic[transport] ??= {
        framesIn: this.stats.counter('pulse_frames_received_total', 'Frames received from clients, by transport', { transport }),
        bytesIn: this.stats.counter('pulse_received_bytes_total', 'Bytes of client frames received, by transport', { transport }),
        framesOut: this.stats.counter('pulse_frames_sent_total', 'Frames sent to clients, by transport', { transport }),
        bytesOut: this.stats.counter('pulse_sent_bytes_total', 'Bytes of frames sent to clients (JSON, before transport framing), by transport', { transport }),
      }),
      onCaughtUp: (seconds, messages) => {
        catchUp.observe(seconds);
        replayed.inc(messages);
      },
      onCoalesced: (kind) => coalesced(kind).inc(),
    }, newProcessId());

    const publishFailed = this.stats.counter('pulse_rollups_publish_failed_total', 'Rollups JetStream refused through every retry');
    this.publisher = new RollupPublisher(this.js, (series, err) => {
      publishFailed.inc();
      this.countJetStreamError('rollup_publish');
      this.log.warn('rollup-publish', `rollup of ${series} not stored: ${String(err)}`);
    });
    this.registerGauges();
    this.sweepTimer = setInterval(() => this.rooms.sweep(Date.now()), Math.min(SWEEP_EVERY_MS, this.config.roomStates.idleMs / 2));
    const { idleSessionMs, stallMs } = this.config;
    // A quarter of the shorter time: a session is ended at most a quarter late.
    this.sessionSweepTimer = setInterval(() => this.sessions.sweep(Date.now(), idleSessionMs, stallMs), Math.min(SESSION_SWEEP_MAX_MS, idleSessionMs / 4, stallMs / 4));
  }

  /** One more request, frame or connection refused or ended by a limit (`pulse_limit_hits_total`). */
  countLimit(limit: LimitKind): void {
    this.limitHits(limit).inc();
  }

  private limitHits(limit: LimitKind): Counter {
    return this.stats.counter('pulse_limit_hits_total', 'Requests, frames and connections refused or ended by a limit, by limit', { limit });
  }

  static async start(nc: NatsConnection, config: Config): Promise<Hub> {
    let hub: Hub | undefined;
    const log = new ThrottledLog(LOG_INTERVAL_MS);
    const sizing = { rollupsMaxAgeMinutes: config.rollupsMaxAgeMinutes, roomsMaxAgeMinutes: config.roomsMaxAgeMinutes, inbox: config.inbox, replicas: config.jsReplicas };
    const jsm = await setUpStreams(nc, sizing, (err) => log.warn('jetstream', `waiting for JetStream to accept the streams at R${config.jsReplicas}: ${String(err)}`));
    const stats = new Stats();
    const registry = new ChannelRegistry();
    const changes = (event: string) => stats.counter('pulse_presence_changes_total', 'Joins and leaves derived from the presence bucket, by event', { event });
    const presence = await Presence.start({
      nc,
      js: nc.jetstream(),
      jsm,
      registry,
      replicas: config.jsReplicas,
      graceMs: config.presenceGraceMs,
      countAbove: config.presenceCountAbove,
      maxEntries: config.limits.presenceEntries,
      onError: (what, err) => {
        jetStreamErrors(stats, what).inc();
        log.warn(what, String(err));
      },
      onTransition: (t) => {
        changes(t.event).inc();
        // Someone's last session left a document (after the grace): their cursors go with them.
        const ch = t.event === 'leave' ? parseChannel(t.ch) : undefined;
        if (ch?.ok && ch.value.kind === 'doc') hub?.yjs.left(ch.value.name, t.member.id);
      },
      // The hub is built after presence: status changes before that have no watcher to reach.
      onStatus: (id, status) => hub?.statuses.changed(id, status),
    });
    const inbox = await InboxStore.start(nc, jsm, config.jsReplicas);
    const alerts = await AlertRules.start(nc.jetstream(), config.jsReplicas);
    const docLog = await DocLog.start(nc.jetstream(), jsm, config.jsReplicas);
    hub = new Hub({ nc, jsm, config, stats, registry, log, presence, inbox, alerts, docLog });
    await hub.startFlows();
    return hub;
  }

  private async startFlows(): Promise<void> {
    const delivered = this.stats.counter('pulse_channel_messages_total', 'Stream messages fanned out to local subscribers');
    const framesOut = this.stats.counter('pulse_fanout_frames_total', 'Message frames handed to sessions by the fan-out');
    for (const rollups of Object.values(this.rollupChannels)) {
      const stream = ROLLUP_STREAMS[rollups.window];
      this.feeds.push(
        await LiveFeed.start(this.nc, stream, (m) => {
          if (rollups.window === '1s') this.evaluate(m);
          const ch = rollups.channelOf(m.subject);
          if (!this.registry.has(ch)) return;
          delivered.inc();
          framesOut.inc(this.registry.publish(channelMessage(ch, m.seq, m.ts, m.data, NEWEST_ROLLUP)));
        }, this.feedEvents(stream)),
      );
    }

    this.feeds.push(
      await LiveFeed.start(this.nc, INBOX_STREAM, (m) => {
        const ch = InboxChannels.channelOf(m.subject);
        if (!ch || !this.registry.has(ch)) return;
        delivered.inc();
        framesOut.inc(this.registry.publish(channelMessage(ch, m.seq, m.ts, m.data)));
      }, this.feedEvents(INBOX_STREAM)),
    );
    this.feeds.push(
      await LiveFeed.start(this.nc, DOCS_STREAM, (m) => {
        this.yjs.take(m);
        const name = docOfSubject(m.subject);
        const ch = `doc:${name}`;
        if (name === undefined || !this.registry.has(ch)) return;
        delivered.inc();
        framesOut.inc(this.registry.publish(channelMessage(ch, m.seq, m.ts, m.data)));
      }, this.feedEvents(DOCS_STREAM)),
    );
    this.yjs.start();
    this.countNotification('nats', 0);
    this.countNotification('http', 0);
    const badNotify = this.stats.counter('pulse_bad_input_total', 'Malformed input, by source', { source: 'nats_notify' });
    this.notify = subscribeNotify(this.nc, this.inbox, {
      sent: () => this.countNotification('nats'),
      refused: (subject, error) => {
        badNotify.inc();
        this.log.warn('bad-notification', `${subject.slice(0, 120)}: ${error.message}`);
      },
      failed: (err) => {
        this.countJetStreamError('notify');
        this.log.warn('notify', `a notification was not stored: ${String(err)}`);
      },
    });

    const badRoom = this.stats.counter('pulse_bad_input_total', 'Malformed input, by source', { source: 'nats_rooms' });
    this.feeds.push(
      await LiveFeed.start(this.nc, ROOMS_STREAM, (m) => {
        const msg = this.rooms.fromStream(m);
        if (!msg.ok) {
          badRoom.inc();
          this.log.warn('bad-room-message', `${m.subject.slice(0, 120)}: ${msg.error.message}`);
          return;
        }
        if (!this.registry.has(msg.value.ch)) return;
        delivered.inc();
        framesOut.inc(this.registry.publish(msg.value));
      }, this.feedEvents(ROOMS_STREAM)),
    );
    this.stats.gauge('pulse_live_feed_pending_messages', 'Messages of a stream its live feed has yet to take: how far behind the fan-out is, by stream', () =>
      this.feeds.map((f) => [{ stream: f.stream }, f.pending]),
    );
    this.typing.start();
    this.ops.start();
    for (const format of ['line', 'json', 'influx'] as const) this.countIngest(format, 0, 0, 0);
    this.influx = InfluxSubscription.start(this.nc, this.samples, {
      read: ({ taken, refused, restamped, firstRefusal }) => {
        this.countIngest('influx', taken, refused, restamped);
        if (firstRefusal) this.log.warn('bad-influx', `${refused} line(s) of an ingest.influx message refused; the first: ${firstRefusal.slice(0, 200)}`);
      },
      failed: (err) => {
        this.countJetStreamError('ingest');
        this.log.warn('ingest', `an ingest.influx message was not stored: ${String(err)}`);
      },
    });

    await this.startRollups();
  }

  private feedEvents(stream: string): LiveFeedEvents {
    const slow = this.stats.counter('pulse_nats_slow_consumers_total', SLOW_CONSUMERS_HELP, { stream });
    const missed = this.stats.counter('pulse_nats_heartbeats_missed_total', 'Missed heartbeats of a live feed\'s consumer, by stream', { stream });
    const restarted = this.stats.counter('pulse_live_feed_restarts_total', 'Live feeds whose consumer fell silent while their stream went on, restarted from the last message taken, by stream', { stream });
    return {
      restarted: (from) => {
        restarted.inc();
        this.log.warn('live-feed-restart', `the consumer of ${stream} fell silent while the stream went on: a new one reads from ${from}`);
      },
      slow: (pending) => {
        slow.inc();
        this.log.warn('slow-consumer', `the live feed of ${stream} is ${pending} messages behind: the fan-out is late`);
      },
      heartbeatsMissed: () => missed.inc(),
    };
  }

  /** Every so many updates stored here, the document is compacted (DocLog decides whether it needs it). */
  private docStored(name: string): void {
    const n = (this.appendsSinceCompaction.get(name) ?? 0) + 1;
    if (n < COMPACT_AFTER) {
      this.appendsSinceCompaction.set(name, n);
      return;
    }
    this.appendsSinceCompaction.delete(name);
    this.docLog.compact(name).catch((err: unknown) => {
      this.countJetStreamError('doc_compaction');
      this.log.warn('doc-compaction', `${name.slice(0, 80)}: ${String(err)}`);
    });
  }

  /** Alert rules read the one-second rollups of the series this process rolls up. */
  private evaluate(m: StreamMessage): void {
    const series = seriesOfRollupSubject('1s', m.subject);
    if (this.evaluator.wants(series)) this.evaluator.take(series, JSON.parse(this.decoder.decode(m.data)) as Rollup);
  }

  /** One more notification stored, by the door it came in (`pulse_notifications_total`). */
  countNotification(via: 'nats' | 'http', n = 1): void {
    this.stats.counter('pulse_notifications_total', 'Notifications stored, by how they were sent', { via }).inc(n);
  }

  /** What one ingest request or message came to (`pulse_ingest_*`), by format: `line` and `json` over HTTP, `influx` over NATS. */
  countIngest(format: 'line' | 'json' | 'influx', taken: number, refused: number, restamped: number): void {
    this.stats.counter('pulse_ingest_samples_total', 'Samples ingest stored, by format', { format }).inc(taken);
    this.stats.counter('pulse_ingest_refused_total', 'Lines and samples ingest refused, by format', { format }).inc(refused);
    this.stats.counter('pulse_ingest_restamped_total', 'Ingested samples stamped outside the open window, counted in the window they arrived in', { format }).inc(restamped);
  }

  /** One more failed JetStream or KV operation (`pulse_jetstream_errors_total`). */
  countJetStreamError(op: string): void {
    jetStreamErrors(this.stats, op).inc();
  }

  private async startRollups(): Promise<void> {
    const samples = this.stats.counter('pulse_samples_total', 'Metric samples counted in the rollups this process stored');
    const dropped = (reason: string) => this.stats.counter('pulse_samples_dropped_total', 'Metric samples not counted in any rollup, by reason', { reason });
    const bad = this.stats.counter('pulse_bad_input_total', 'Malformed input, by source', { source: 'nats_metrics' });
    for (const reason of ['late', 'future']) dropped(reason);
    const skipped = this.stats.counter('pulse_rollup_skips_total', 'Times a partition skipped windows whose samples had aged out of the samples stream');
    this.rollups = await RollupEngine.start(this.nc, this.sessions.processId, this.publisher, {
      dropped: (reason) => dropped(reason).inc(),
      counted: (n) => samples.inc(n),
      badPayload: (subject, error) => {
        bad.inc();
        this.log.warn('bad-metric', `${subject.slice(0, 120)}: ${error.message}`);
      },
      skipped: (partition, until) => {
        skipped.inc();
        this.log.warn('rollup-skip', `partition ${partition}: windows before ${new Date(until).toISOString()} not stored, their samples aged out of the samples stream`);
      },
      error: (what, err) => {
        this.countJetStreamError(what);
        this.log.warn(what, String(err));
      },
    }, { replicas: this.config.jsReplicas });
    this.stats.gauge('pulse_rollup_partitions', 'Partitions of the series space this process rolls up', () => this.rollups?.partitions.length ?? 0);
    this.stats.gauge('pulse_rollup_partition_owned', 'Partitions of the series space this process rolls up, one series per partition (1 while owned)', () =>
      (this.rollups?.partitions ?? []).map((p) => [{ partition: String(p) }, 1]),
    );
  }

  private registerGauges(): void {
    // Which worker answered a scrape: HUB_WORKERS processes share one port and each has its own figures.
    this.stats.gauge('pulse_hub_info', 'This hub process, by worker index', () => [[{ worker: String(this.config.workerIndex) }, 1]]);
    this.stats.gauge('pulse_sessions', 'Open sessions, by transport', () =>
      Object.entries(this.sessions.countsByTransport()).map(([transport, n]) => [{ transport }, n]),
    );
    this.stats.gauge('pulse_nats_connected', '1 while the hub is connected to NATS', () => (this.bus.connected ? 1 : 0));
    // Families counted as things happen start at zero, so a scrape shows them (and rate() works) before the first.
    for (const kind of ['metrics', 'room']) this.stats.counter('pulse_coalesced_total', COALESCED_HELP, { kind });
    for (const op of ['history_read', 'rollup_publish']) jetStreamErrors(this.stats, op);
    for (const limit of LIMIT_KINDS) this.limitHits(limit);
    for (const stream of [...Object.values(ROLLUP_STREAMS), ROOMS_STREAM, INBOX_STREAM, DOCS_STREAM]) this.stats.counter('pulse_nats_slow_consumers_total', SLOW_CONSUMERS_HELP, { stream });
    this.stats.counterFrom('pulse_nats_reconnects_total', 'Reconnections to NATS', () => this.bus.reconnects);
    this.stats.counterFrom('pulse_nats_disconnects_total', 'Losses of the NATS connection', () => this.bus.disconnects);
    this.stats.gauge('pulse_session_queued_bytes', 'Bytes waiting for clients (unsent, or not yet taken by polls), by transport', () =>
      Object.entries(this.sessions.backlogByTransport()).map(([transport, b]) => [{ transport }, b.bytes]),
    );
    this.stats.gauge('pulse_sessions_behind', 'Sessions whose client is behind, held to the newest rollup and room state, by transport', () =>
      Object.entries(this.sessions.backlogByTransport()).map(([transport, b]) => [{ transport }, b.behind]),
    );
    this.stats.gauge('pulse_replays', 'Catch-up reads of subscribes, running and waiting their turn', () => [
      [{ state: 'running' }, this.replays.load.running],
      [{ state: 'waiting' }, this.replays.load.waiting],
    ]);
    this.stats.gauge('pulse_room_states', 'Room states this hub holds in memory', () => this.rooms.held.rooms);
    this.stats.gauge('pulse_room_state_bytes', 'JSON size of the room states this hub holds, at the last sweep', () => this.rooms.held.bytes);
    this.stats.gauge('pulse_room_recent_bytes', 'Bytes of recent room messages kept for resumes (rooms watched here only)', () => this.rooms.recentHeld.bytes);
    this.stats.gauge('pulse_channels_watched', 'Channels with at least one subscriber on this hub', () => this.registry.size);
    this.stats.gauge('pulse_typing_flags', 'Typing flags this hub is timing (rooms watched here only)', () => this.typing.size);
    this.stats.gauge('pulse_presence_entries', 'Presence entries: this hub\'s own (a user in a channel, grace included), and every hub\'s as this hub holds them', () => [
      [{ scope: 'local' }, this.presence.held.local],
      [{ scope: 'cluster' }, this.presence.held.view],
    ]);
    this.stats.gauge('pulse_presence_unconfirmed_writes', 'Presence writes of this hub not yet seen back in the bucket (sent again every 2 s until they are)', () => this.presence.held.unconfirmed);
    this.stats.gauge('pulse_poll_addresses', 'Client addresses holding open poll sessions on this hub', () => this.sessions.pollAddressCount);
  }

  /** Hands its partitions over (their open windows go to the next holder), and closes every session. */
  async stop(): Promise<void> {
    clearInterval(this.sweepTimer);
    clearInterval(this.sessionSweepTimer);
    await this.rollups?.stop().catch((err: unknown) => this.log.warn('rollup-handover', String(err)));
    this.typing.stop();
    this.ops.stop();
    this.influx?.stop();
    this.notify?.unsubscribe();
    this.alerts.stop();
    this.yjs.stop();
    this.sessions.closeAll();
    this.presence.stop();
    await Promise.all(this.feeds.map((f) => f.stop().catch(() => undefined)));
  }
}
