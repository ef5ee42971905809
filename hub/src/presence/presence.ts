import { randomBytes } from 'node:crypto';
import type { JetStreamClient, JetStreamManager, NatsConnection } from 'nats';
import type { ChannelRegistry, ChannelSubscriber } from '../channels/registry.js';
import type { Member, User } from '../protocol/index.js';
import type { ChannelPresence } from './channel-presence.js';
import { LocalPresence } from './local-presence.js';
import { ConfirmedWrites, RESEND_AFTER_MS } from './confirmed-writes.js';
import { PresenceAnnouncer } from './presence-announcer.js';
import { PresenceBucket, type BucketEntry } from './presence-bucket.js';
import { PresenceFanout } from './presence-fanout.js';
import { hubKey, memberKey, parseKey } from './presence-keys.js';
import { LastSeen } from './last-seen.js';
import { PresenceView, type MemberEntry, type Transition } from './presence-view.js';

/** How often a hub says it is alive. */
export const HEARTBEAT_MS = 5_000;
/** A hub silent this long is dead: its entries are removed, and its members leave unless present elsewhere. */
export const HUB_STALE_MS = 15_000;
/** How often each hub looks for dead ones. A SIGKILLed hub's members are gone within HUB_STALE_MS + SWEEP_MS. */
export const SWEEP_MS = 2_500;
/**
 * Deletes one sweep may send: a hub that finds tens of thousands of entries
 * left by dead hubs (say, after a whole deployment restarted) spreads them
 * over several sweeps instead of flooding NATS while clients reconnect.
 */
export const SWEEP_MAX_DELETES = 5_000;

export interface PresenceOptions {
  nc: NatsConnection;
  js: JetStreamClient;
  jsm: JetStreamManager;
  registry: ChannelRegistry;
  /** Copies of the presence buckets and streams (HUB_JS_REPLICAS). */
  replicas: number;
  graceMs: number;
  countAbove: number;
  /** Entries this hub may write (LocalPresence). */
  maxEntries: number;
  onError(what: string, err: unknown): void;
  onTransition(t: Transition): void;
  /** A person came online (present in a first channel) or went offline (left the last one). */
  onStatus(userId: string, status: { online: boolean; lastSeen: number | undefined }): void;
}

/**
 * Presence of people per channel, the same on every hub: each hub writes its
 * own sessions to a shared KV bucket and derives joins and leaves from the
 * bucket's ordered history, which every hub reads alike.
 */
export class Presence implements ChannelPresence {
  readonly hubId = randomBytes(6).toString('hex');
  private readonly view = new PresenceView();
  private readonly local: LocalPresence;
  private readonly writes: ConfirmedWrites;
  private readonly fanout: PresenceFanout;
  /**
   * Hubs known, by id: when each was last heard of, in local ms, and its id
   * string, which all its entries in the view share.
   */
  private readonly hubsSeen = new Map<string, { id: string; seen: number }>();
  /** Hubs whose heartbeat key is in the bucket. */
  private readonly beating = new Set<string>();
  private readonly timers: NodeJS.Timeout[] = [];
  private ready = false;

  private constructor(
    private readonly bucket: PresenceBucket,
    private readonly announcer: PresenceAnnouncer,
    private readonly lastSeen: LastSeen,
    private readonly opts: PresenceOptions,
  ) {
    this.fanout = new PresenceFanout(opts.registry, this.view, opts.countAbove);
    this.writes = new ConfirmedWrites((key) => this.send(key));
    this.local = new LocalPresence(
      {
        put: (ch, member) => this.writes.write(memberKey(this.hubId, ch, member.id), Date.now()),
        remove: (ch, userId) => this.writes.write(memberKey(this.hubId, ch, userId), Date.now()),
      },
      opts.graceMs,
      opts.maxEntries,
    );
  }

  static async start(opts: PresenceOptions): Promise<Presence> {
    const bucket = await PresenceBucket.open(opts.nc, opts.js, opts.replicas);
    const announcer = await PresenceAnnouncer.start(opts.nc, opts.jsm, opts.replicas);
    const presence = new Presence(bucket, announcer, await LastSeen.open(opts.nc, opts.js, opts.replicas), opts);
    await presence.beat();
    await new Promise<void>((ready, fail) => {
      bucket.watch((e) => presence.observe(e), ready).catch(fail);
    });
    presence.ready = true;
    presence.timers.push(
      setInterval(() => void presence.beat(), HEARTBEAT_MS),
      setInterval(() => presence.sweep(Date.now()), SWEEP_MS),
      setInterval(() => presence.writes.resend(Date.now()), RESEND_AFTER_MS / 2),
    );
    return presence;
  }

  enter(ch: string, user: User): boolean {
    return this.local.enter(ch, user);
  }

  /** Entries this hub writes (a user in a channel), entries of every hub it holds in its view, and its writes not yet seen back. */
  get held(): { local: number; view: number; unconfirmed: number } {
    return { local: this.local.size, view: this.view.size, unconfirmed: this.writes.size };
  }

  leave(ch: string, user: User): void {
    this.local.leave(ch, user);
  }

  greet(ch: string, to: ChannelSubscriber): void {
    this.fanout.greet(ch, to);
  }

  count(ch: string): number {
    return this.view.count(ch);
  }

  /**
   * Whether a person is present in any channel on any hub (grace included),
   * and when they were last seen: now while present, else when they left
   * their last channel (undefined if never seen).
   */
  async status(userId: string): Promise<{ online: boolean; lastSeen: number | undefined }> {
    if (this.view.isPresent(userId)) return { online: true, lastSeen: Date.now() };
    return { online: false, lastSeen: await this.lastSeen.of(userId) };
  }

  page(ch: string, after: string | undefined, limit: number): Array<{ member: Member; sessions: number }> {
    return this.view.page(ch, after, limit);
  }

  /** Stops writing and watching. This hub's entries stay until others sweep them, so its users may reconnect elsewhere without a leave. */
  stop(): void {
    for (const t of this.timers) clearInterval(t);
    this.local.stop();
    this.fanout.stop();
    this.announcer.stop();
    this.lastSeen.stop();
    this.bucket.stop();
  }

  private observe(e: BucketEntry): void {
    const at = parseKey(e.key);
    if (!at) return;
    // Live changes are heard now; entries present at start are as old as the server says.
    const seen = this.ready ? Date.now() : e.created;
    if (at.kind === 'hub') {
      if (e.operation === 'PUT') {
        this.beating.add(at.hub);
        this.known(at.hub, seen).seen = seen;
      } else {
        this.beating.delete(at.hub);
        // A hub that is gone but still has entries stays known until they are swept.
        if (this.view.entriesOf(at.hub).length === 0) this.hubsSeen.delete(at.hub);
      }
      return;
    }
    at.hub = this.known(at.hub, seen).id;
    const mine = at.hub === this.hubId ? this.local.entry(at.ch, at.userId) : undefined;
    let t: Transition | undefined;
    if (e.operation === 'PUT') {
      const value = readEntry(e.value, at.userId);
      if (!value) return;
      if (mine && mine.sessions === value.sessions) this.writes.confirm(e.key);
      // This hub's own entries share the member it already holds.
      t = this.view.put(at, e.revision, mine ? { member: mine.member, sessions: value.sessions } : value);
    } else {
      t = this.view.remove(at, e.revision);
      // Someone swept this hub's entry (it was thought dead): write it again while its sessions are here.
      if (mine) this.writes.write(e.key, Date.now());
      else if (at.hub === this.hubId) this.writes.confirm(e.key);
    }
    if (!t) return;
    const id = t.member.id;
    // The same leave on every hub, stamped with when nats-server stored it: every hub writes the same value.
    if (t.event === 'leave' && !this.view.isPresent(id)) {
      this.lastSeen.record(id, e.created);
      if (this.ready) this.opts.onStatus(id, { online: false, lastSeen: e.created });
    }
    if (t.event === 'join' && this.view.channelsOf(id) === 1 && this.ready) this.opts.onStatus(id, { online: true, lastSeen: e.created });
    if (!this.ready) return;
    this.fanout.apply(t);
    this.announcer.announce(t);
    this.opts.onTransition(t);
  }

  /** A hub's record, made when it is first heard of. */
  private known(hub: string, seen: number): { id: string; seen: number } {
    let known = this.hubsSeen.get(hub);
    if (!known) this.hubsSeen.set(hub, (known = { id: hub, seen }));
    return known;
  }

  private async beat(): Promise<void> {
    await this.bucket.put(hubKey(this.hubId), { at: Date.now() }).catch((err: unknown) => this.opts.onError('presence-heartbeat', err));
  }

  private sweep(now: number): void {
    let budget = SWEEP_MAX_DELETES;
    for (const [hub, { seen }] of this.hubsSeen) {
      if (hub === this.hubId || now - seen < HUB_STALE_MS) continue;
      const entries = this.view.entriesOf(hub);
      // Batched plain publishes, not a request each: a dead hub's thousands of members must not crowd out the live feed.
      // One lost is sent again at the next sweep, while the entry is still in the view.
      for (const { key, revision } of entries.slice(0, budget)) this.bucket.sendDelete(key, revision);
      budget -= Math.min(budget, entries.length);
      // Once its entries are gone, the dead hub is forgotten; another hub's delete may land first, which is as good.
      if (entries.length === 0) {
        this.hubsSeen.delete(hub);
        if (this.beating.has(hub)) this.bucket.sendDelete(hubKey(hub));
      }
      if (budget === 0) return;
    }
  }

  /** What this hub wants one of its keys to hold now: its entry, or nothing. */
  private send(key: string): void {
    const at = parseKey(key);
    if (at?.kind !== 'member') return;
    const mine = this.local.entry(at.ch, at.userId);
    if (mine) this.bucket.send(key, { member: mine.member, sessions: mine.sessions } satisfies MemberEntry);
    else this.bucket.sendDelete(key);
  }
}

/** An entry's value, if well formed and about the user its key names. */
function readEntry(bytes: Uint8Array, userId: string): MemberEntry | undefined {
  try {
    const v = JSON.parse(Buffer.from(bytes).toString('utf8')) as Partial<MemberEntry>;
    const m = v.member;
    if (!m || m.id !== userId || typeof m.name !== 'string' || typeof m.role !== 'string' || typeof v.sessions !== 'number') return undefined;
    return { member: { id: m.id, name: m.name, role: m.role }, sessions: v.sessions };
  } catch {
    return undefined;
  }
}
