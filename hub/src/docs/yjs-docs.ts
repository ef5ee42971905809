import { headers as natsHeaders, type NatsConnection, type Subscription } from 'nats';
import type { WebSocket } from 'ws';
import * as Y from 'yjs';
import { AWARENESS_SUBJECTS, awarenessSubject, docOfSubject } from '../bus/subjects.js';
import type { StreamMessage } from '../bus/live-feed.js';
import type { DocLog } from './doc-log.js';
import { closeCodeOf, DOC_BYTES_PER_SECOND, DOC_EDIT_MAX_BYTES, isAnonymous, type DocData, type PulseError, type User } from '../protocol/index.js';
import { TokenBucket } from '../session/token-bucket.js';
import { AWARENESS_TIMEOUT_MS, AwarenessTable } from './awareness-table.js';
import { Tally } from '../stats/tally.js';
import {
  awarenessMessage,
  permissionDeniedMessage,
  readAwareness,
  readYMessage,
  step1Message,
  step2Message,
  updateMessage,
  writeAwareness,
  type AwarenessEntry,
} from './yjs-messages.js';

/** Awareness changes of a document are sent to its connections at most this often, all of them in one message. */
const AWARENESS_EVERY_MS = 50;
/** On an awareness update relayed between hubs: the id of the person whose Pulse session sent it. */
const AWARENESS_USER_HEADER = 'Pulse-User';
/** An update that is not one closes the connection with this code (policy violation). */
const CLOSE_BAD_UPDATE = 1008;
const EMPTY_UPDATE = Y.encodeStateAsUpdate(new Y.Doc());

/** The documents this process has y-websocket connections for: their connections and everyone's awareness. */
interface LocalDoc {
  conns: Set<YjsConnection>;
  awareness: AwarenessTable;
  pending: Map<number, AwarenessEntry>;
  timer: NodeJS.Timeout | undefined;
}

/**
 * Documents over y-websocket's protocol, so an unmodified y-websocket
 * provider (browser or Node) syncs through Pulse. Updates are stored in the
 * document's log (JetStream) and reach every hub's connections from there;
 * awareness is relayed between hubs on core NATS, never stored, and sent to
 * each document's connections coalesced, so many moving cursors cost one
 * message per interval per connection. No hub holds a document in memory.
 */
export class YjsDocs {
  private readonly docs = new Map<string, LocalDoc>();
  private sub: Subscription | undefined;
  private readonly sweeper: NodeJS.Timeout;
  /** Open connections, in all and per signed-in person: bounded like sessions, and counted apart from them. */
  private opened = 0;
  private readonly perUser = new Tally<string>();

  constructor(
    private readonly nc: NatsConnection,
    readonly log: DocLog,
    /** Messages a connection may send per second, and in a burst, as for a session's publishes. */
    readonly rate: { perSecond: number; burst: number },
    /** Connections this hub takes, and per person, as for sessions. */
    private readonly caps: { connections: number; perUser: number },
    /** An update was stored here (compaction counts them). */
    readonly stored: (name: string) => void,
    readonly refused: (reason: string) => void,
    /** Pulse's own subscribers of `doc:<name>`: whether there are any here, and an ephemeral frame for them. */
    private readonly channel: { watched: (ch: string) => boolean; deliver: (ch: string, frame: string) => void },
  ) {
    this.sweeper = setInterval(() => this.sweep(Date.now()), AWARENESS_TIMEOUT_MS / 3);
  }

  start(): void {
    this.sub = this.nc.subscribe(AWARENESS_SUBJECTS, {
      callback: (err, m) => {
        const name = err ? undefined : docOfSubject(m.subject);
        if (name === undefined) return;
        let doc = this.docs.get(name);
        if (!doc && this.channel.watched(`doc:${name}`)) this.docs.set(name, (doc = newDoc()));
        const entries = doc ? readAwareness(m.data) : undefined;
        if (!doc || !entries?.ok) return;
        this.awareness(name, doc, doc.awareness.take(entries.value, m.headers?.get(AWARENESS_USER_HEADER) || undefined, Date.now()));
      },
    });
  }

  stop(): void {
    clearInterval(this.sweeper);
    this.sub?.unsubscribe();
    for (const doc of this.docs.values()) clearTimeout(doc.timer);
  }

  /** Whether one more connection of this person fits, asked before the upgrade. */
  admit(user: User): PulseError | undefined {
    if (this.opened >= this.caps.connections) return { code: 'overloaded', message: 'this hub takes no more document connections; try again later or another hub' };
    if (!isAnonymous(user) && this.perUser.get(user.id) >= this.caps.perUser) {
      return { code: 'rate_limited', message: `at most ${this.caps.perUser} open document connections per user` };
    }
    return undefined;
  }

  open(ws: WebSocket, name: string, user: User, canWrite: boolean): void {
    let doc = this.docs.get(name);
    if (!doc) this.docs.set(name, (doc = newDoc()));
    const conn = new YjsConnection(ws, name, canWrite, this, doc);
    doc.conns.add(conn);
    this.count(user, 1);
    ws.on('close', () => {
      this.count(user, -1);
      doc.conns.delete(conn);
      conn.left();
      if (doc.conns.size === 0 && doc.pending.size === 0) this.docs.delete(name);
    });
    void conn.start();
  }

  private count(user: User, by: 1 | -1): void {
    this.opened += by;
    if (isAnonymous(user)) return;
    if (by > 0) this.perUser.add(user.id);
    else this.perUser.remove(user.id);
  }

  /** A stored update of any document, from the stream's live feed. */
  take(m: StreamMessage): void {
    const name = docOfSubject(m.subject);
    const doc = name === undefined ? undefined : this.docs.get(name);
    if (!doc) return;
    const update = this.log.decode(m.data);
    for (const conn of doc.conns) conn.live(m.seq, update);
  }

  /** Relays awareness to every hub, itself included; `user` when a Pulse session sent it, so it ends when that person leaves. */
  publishAwareness(name: string, update: Uint8Array, user?: string): void {
    if (user === undefined) return this.nc.publish(awarenessSubject(name), update);
    const h = natsHeaders();
    h.set(AWARENESS_USER_HEADER, user);
    this.nc.publish(awarenessSubject(name), update, { headers: h });
  }

  /**
   * The person's presence in the document ended (every hub sees the same
   * leave, after the grace for reconnects): each hub ends their states for
   * its own connections and subscribers.
   */
  left(name: string, user: string): void {
    const doc = this.docs.get(name);
    if (doc) this.awareness(name, doc, doc.awareness.endUser(user));
  }

  statesOf(doc: LocalDoc): AwarenessEntry[] {
    return doc.awareness.current(Date.now());
  }

  /** The awareness this hub knows of a document, as an ephemeral `message` frame for a Pulse subscriber's greeting. */
  greeting(name: string): string | undefined {
    const doc = this.docs.get(name);
    const states = doc ? this.statesOf(doc) : [];
    return states.length > 0 ? awarenessFrame(name, writeAwareness(states)) : undefined;
  }

  /** Sends the changes on to the document's connections and subscribers, gathered over a short interval. */
  private awareness(name: string, doc: LocalDoc, changes: AwarenessEntry[]): void {
    if (changes.length === 0) return;
    for (const e of changes) doc.pending.set(e.client, e);
    doc.timer ??= setTimeout(() => {
      doc.timer = undefined;
      const update = writeAwareness([...doc.pending.values()]);
      doc.pending.clear();
      const message = awarenessMessage(update);
      for (const conn of doc.conns) conn.send(message);
      if (this.channel.watched(`doc:${name}`)) this.channel.deliver(`doc:${name}`, awarenessFrame(name, update));
    }, AWARENESS_EVERY_MS);
  }

  private sweep(now: number): void {
    for (const [name, doc] of this.docs) {
      doc.awareness.sweep(now);
      if (doc.conns.size === 0 && doc.pending.size === 0 && !this.channel.watched(`doc:${name}`)) this.docs.delete(name);
    }
  }
}

function newDoc(): LocalDoc {
  return { conns: new Set(), awareness: new AwarenessTable(), pending: new Map(), timer: undefined };
}

/** Awareness for Pulse's own subscribers: a `message` frame without seq, never stored. */
function awarenessFrame(name: string, update: Uint8Array): string {
  const data: DocData = { kind: 'awareness', update: Buffer.from(update).toString('base64') };
  return `{"type":"message","ch":${JSON.stringify(`doc:${name}`)},"data":${JSON.stringify(data)}}`;
}

/**
 * One y-websocket connection. It sends the hub's state vector (sync step 1)
 * and the awareness it knows; to the client's step 1 it answers with the
 * stored document in chunks, each cut down to what the client lacks, then
 * an empty step 2, so no message is larger than a chunk. Live updates that
 * arrive meanwhile wait and follow, without repeating what the read held.
 */
class YjsConnection {
  private readThrough = 0;
  private stored: Array<{ seq: number; update: Uint8Array }> | undefined;
  private synced = false;
  private readonly early: Array<[number, Uint8Array]> = [];
  private readonly clients = new Map<number, number>();
  private denied = false;
  private readonly budget: TokenBucket;
  private readonly bytes: TokenBucket;

  constructor(
    private readonly ws: WebSocket,
    private readonly name: string,
    private readonly canWrite: boolean,
    private readonly docs: YjsDocs,
    private readonly doc: LocalDoc,
  ) {
    this.budget = new TokenBucket(docs.rate.perSecond, docs.rate.burst, Date.now());
    this.bytes = new TokenBucket(DOC_BYTES_PER_SECOND, DOC_EDIT_MAX_BYTES, Date.now());
    ws.binaryType = 'nodebuffer';
    ws.on('message', (data: Buffer) => void this.receive(new Uint8Array(data)));
  }

  async start(): Promise<void> {
    const { updates } = await this.docs.log.read(this.name);
    this.stored = updates;
    this.readThrough = updates.at(-1)?.seq ?? 0;
    const vector = updates.length > 0 ? Y.encodeStateVectorFromUpdate(Y.mergeUpdates(updates.map((u) => u.update))) : Y.encodeStateVector(new Y.Doc());
    this.send(step1Message(vector));
    const states = this.docs.statesOf(this.doc);
    if (states.length > 0) this.send(awarenessMessage(writeAwareness(states)));
  }

  live(seq: number, update: Uint8Array): void {
    if (!this.synced) this.early.push([seq, update]);
    else if (seq > this.readThrough) this.send(updateMessage(update));
  }

  send(message: Uint8Array): void {
    if (this.ws.readyState === this.ws.OPEN) this.ws.send(message);
  }

  /** The connection closed: its clients' awareness goes at once, not after the timeout. */
  left(): void {
    if (this.clients.size === 0) return;
    this.docs.publishAwareness(this.name, writeAwareness([...this.clients].map(([client, clock]) => ({ client, clock: clock + 1, state: 'null' }))));
  }

  private async receive(data: Uint8Array): Promise<void> {
    // A flood is not slowed down but cut off: a provider reconnects and syncs what it has.
    const now = Date.now();
    if (!this.budget.take(now) || !this.bytes.take(now, data.length)) {
      this.docs.refused('rate');
      return this.ws.close(closeCodeOf('rate_limited'), 'too many messages or bytes');
    }
    const message = readYMessage(data);
    if (!message.ok) {
      this.docs.refused('message');
      return this.ws.close(CLOSE_BAD_UPDATE, message.error.message.slice(0, 120));
    }
    const m = message.value;
    switch (m.type) {
      case 'step1':
        return this.sync(m.stateVector);
      case 'step2':
      case 'update':
        return this.write(m.update);
      case 'awareness': {
        const entries = readAwareness(m.update);
        if (!entries.ok) return;
        for (const e of entries.value) this.clients.set(e.client, e.clock);
        return this.docs.publishAwareness(this.name, m.update);
      }
      case 'query-awareness':
        return this.send(awarenessMessage(writeAwareness(this.docs.statesOf(this.doc))));
    }
  }

  private async sync(clientVector: Uint8Array): Promise<void> {
    while (!this.stored) await new Promise((r) => setTimeout(r, 10));
    for (const { update } of this.stored) {
      const lacking = Y.diffUpdate(update, clientVector);
      if (lacking.length > EMPTY_UPDATE.length) this.send(updateMessage(lacking));
    }
    this.stored = [];
    this.send(step2Message(EMPTY_UPDATE));
    this.synced = true;
    for (const [seq, update] of this.early.splice(0)) if (seq > this.readThrough) this.send(updateMessage(update));
  }

  private async write(update: Uint8Array): Promise<void> {
    // A client's step 2 of an empty document is two bytes: nothing to store.
    if (update.length <= EMPTY_UPDATE.length) return;
    if (!this.canWrite) {
      this.docs.refused('read_only');
      if (!this.denied) this.send(permissionDeniedMessage('this document is read-only for your role'));
      this.denied = true;
      return;
    }
    const appended = await this.docs.log.append(this.name, update);
    if (!appended.ok) {
      this.docs.refused(appended.error.code);
      return this.ws.close(CLOSE_BAD_UPDATE, appended.error.message.slice(0, 120));
    }
    this.docs.stored(this.name);
  }
}
