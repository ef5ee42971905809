import { createHash, randomBytes } from 'node:crypto';
import { StorageType, type JetStreamClient, type JetStreamManager, type KV, type NatsConnection } from 'nats';
import { fail, ok, NOTIFICATIONS_PAGE_MAX, type InboxData, type Notification, type NotificationInput, type NotificationsPage, type Result } from '../protocol/index.js';
import { INBOX_STREAM } from '../bus/streams.js';
import { inboxSubject } from '../bus/subjects.js';
import { StreamHistory } from '../bus/stream-history.js';
import { NOTHING_READ, decodeReadState, encodeReadState, isRead, withRead, withReadUpTo, type ReadState } from './read-state.js';
import { openBucket } from '../bus/kv-bucket.js';

export const READ_STATE_BUCKET = 'PULSE_INBOX_READ';
/** Writers of one person's read state racing each other try again this many times. */
const UPDATE_ATTEMPTS = 10;

/** A stored notification with where it stands in the person's inbox. */
export interface Sent {
  notification: Notification;
  seq: number;
  /** The key was sent before within 10 minutes: this is the stored one. */
  duplicate: boolean;
}

/**
 * Every person's notifications and what they have read. A notification is
 * one message of the inbox stream, stored once however many hubs run; read
 * state is a KV entry per person, changed with compare-and-set, and each
 * change is also a message of the person's inbox, so every open device
 * applies it in order with the notifications.
 */
export class InboxStore {
  private readonly history: StreamHistory;
  private readonly encoder = new TextEncoder();

  private constructor(
    private readonly js: JetStreamClient,
    private readonly jsm: JetStreamManager,
    private readonly kv: KV,
  ) {
    this.history = new StreamHistory(js, jsm, INBOX_STREAM);
  }

  static async start(nc: NatsConnection, jsm: JetStreamManager, replicas: number): Promise<InboxStore> {
    const js = nc.jetstream();
    return new InboxStore(js, jsm, await openBucket(js, READ_STATE_BUCKET, { history: 1, storage: StorageType.File, replicas }));
  }

  /** Stores a notification for `user` and delivers it to their inbox; a `key` sent again within 10 minutes answers the stored one. */
  async send(user: string, input: NotificationInput, now: number): Promise<Sent> {
    const id = input.key ? `k${createHash('sha256').update(`${user}\n${input.key}`).digest('base64url').slice(0, 22)}` : `n${randomBytes(12).toString('base64url')}`;
    const notification: Notification = {
      id,
      at: now,
      title: input.title,
      ...(input.body !== undefined && { body: input.body }),
      ...(input.kind !== undefined && { kind: input.kind }),
      ...(input.data !== undefined && { data: input.data }),
    };
    const data: InboxData = { kind: 'notification', notification };
    const ack = await this.js.publish(inboxSubject(user, 'n'), this.encoder.encode(JSON.stringify(data)), input.key ? { msgID: id } : undefined);
    if (!ack.duplicate) return { notification, seq: ack.seq, duplicate: false };
    const stored = (await this.jsm.streams.getMessage(INBOX_STREAM, { seq: ack.seq })).json<InboxData>();
    return { notification: stored.kind === 'notification' ? stored.notification : notification, seq: ack.seq, duplicate: true };
  }

  /** The person's notifications newest first, `limit` of them before seq `before`, with the unread count of all. */
  async list(user: string, before: number | undefined, limit = NOTIFICATIONS_PAGE_MAX): Promise<NotificationsPage> {
    const [all, read] = await Promise.all([this.all(user), this.readState(user)]);
    let unread = 0;
    for (const n of all) if (!isRead(read.state, n.seq, n.notification.id)) unread++;
    const older = all.filter((n) => before === undefined || n.seq < before).reverse();
    const page = older.slice(0, limit).map((n) => ({ ...n.notification, seq: n.seq, read: isRead(read.state, n.seq, n.notification.id) }));
    return { notifications: page, unread, ...(older.length > limit && { next: page.at(-1)!.seq }) };
  }

  /** Marks one notification read; `seq`, where the client knows it, finds it with one read instead of reading the inbox. */
  async markRead(user: string, id: string, seq?: number): Promise<Result<ReadState>> {
    const found = seq === undefined ? (await this.all(user)).some((n) => n.notification.id === id) : await this.holds(user, id, seq);
    if (!found) return fail('not_found', `no notification ${id.slice(0, 40)}${seq === undefined ? '' : ` at seq ${seq}`} in your inbox`);
    return this.change(user, (s) => withRead(s, id), { kind: 'read', id });
  }

  /** Whether the inbox's message at `seq` is the notification `id` of this person. */
  private async holds(user: string, id: string, seq: number): Promise<boolean> {
    const m = await this.jsm.streams.getMessage(INBOX_STREAM, { seq }).catch(() => undefined);
    if (m?.subject !== inboxSubject(user, 'n')) return false;
    const data = m.json<InboxData>();
    return data.kind === 'notification' && data.notification.id === id;
  }

  /**
   * Marks read every notification up to seq `upTo`, the newest its client
   * had seen. A notification stored while the request runs has a larger seq
   * and stays unread; an `upTo` past the newest stored is taken as the newest,
   * so it cannot mark read what comes later.
   */
  async markAllRead(user: string, upTo: number): Promise<Result<ReadState>> {
    const newest = await this.history.lastSeq(inboxSubject(user, 'n'));
    const through = Math.min(upTo, newest);
    return this.change(user, (s) => withReadUpTo(s, through), { kind: 'read-all', upTo: through });
  }

  private async change(user: string, f: (s: ReadState) => ReadState, event: InboxData): Promise<Result<ReadState>> {
    for (let attempt = 0; attempt < UPDATE_ATTEMPTS; attempt++) {
      const { state, revision } = await this.readState(user);
      const next = f(state);
      try {
        if (revision === undefined) await this.kv.create(keyOf(user), encodeReadState(next));
        else await this.kv.update(keyOf(user), encodeReadState(next), revision);
      } catch {
        // Another device changed it meanwhile: read it again and apply this change on top.
        continue;
      }
      await this.js.publish(inboxSubject(user, 'r'), this.encoder.encode(JSON.stringify(event)));
      return ok(next);
    }
    return fail('overloaded', 'the read state changed too often at once: try again');
  }

  private async readState(user: string): Promise<{ state: ReadState; revision: number | undefined }> {
    const entry = await this.kv.get(keyOf(user));
    if (!entry || entry.value.length === 0) return { state: NOTHING_READ, revision: entry?.revision };
    const state = decodeReadState(entry.value);
    // An entry that does not read is replaced by the next change rather than trusted.
    return { state: state.ok ? state.value : NOTHING_READ, revision: entry.revision };
  }

  private async all(user: string): Promise<Array<{ seq: number; notification: Notification }>> {
    const read = await this.history.read(inboxSubject(user, 'n'), 0, Number.MAX_SAFE_INTEGER);
    const out: Array<{ seq: number; notification: Notification }> = [];
    for (const m of read.messages) {
      const data = JSON.parse(new TextDecoder().decode(m.data)) as InboxData;
      if (data.kind === 'notification') out.push({ seq: m.seq, notification: data.notification });
    }
    return out;
  }
}

function keyOf(user: string): string {
  return Buffer.from(user).toString('base64url');
}
