import { fail, ok, type ChannelName, type Result, type User } from '../protocol/index.js';
import { docSubject } from '../bus/subjects.js';
import type { ChannelPublisher } from '../channels/publisher.js';
import { StreamChannels } from '../channels/stream-channels.js';
import type { SyncResult } from '../channels/source.js';
import type { DocLog } from './doc-log.js';
import type { StreamHistory } from '../bus/stream-history.js';
import type { ChannelSubscriber } from '../channels/registry.js';
import { readAwareness } from './yjs-messages.js';
import { canWriteDoc } from '../session/permissions.js';

/**
 * `doc:<name>` channels for Pulse's own clients: a subscriber without
 * `since` gets the whole document (its compacted chunks and the updates
 * after them), then live updates; with `since`, what came after it. What a
 * compaction removed is in the chunks that replaced it, so a read is always
 * whole: at worst it repeats updates the client has, which Yjs ignores.
 */
export class DocChannels extends StreamChannels {
  /** A document's readers and writers are listed, as in any channel. */
  readonly tracksPresence = true;

  constructor(
    store: StreamHistory,
    /** Who is where in the document now, for a newcomer. */
    private readonly awareness: (name: string) => string | undefined,
  ) {
    super(store);
  }

  greet(ch: ChannelName, to: ChannelSubscriber): void {
    const frame = this.awareness(ch.name);
    if (frame) to.deliverEphemeral('message', frame);
  }

  protected subjectOf(ch: ChannelName): string {
    return docSubject(ch.name, '*');
  }

  override async sync(ch: ChannelName, since: number | undefined): Promise<Result<SyncResult>> {
    const synced = await super.sync(ch, since ?? 0);
    if (!synced.ok) return synced;
    return ok({ ...synced.value, recovered: true });
  }
}

/**
 * What Pulse clients publish to a document: `{"kind":"update","update":<base64>}`,
 * checked and stored, or `{"kind":"awareness",...}`, checked and relayed.
 */
export class DocPublisher implements ChannelPublisher {
  constructor(
    private readonly log: DocLog,
    private readonly stored: (name: string) => void,
    /** Relays awareness to every hub, with the id of the person whose session sent it. */
    private readonly relay: (name: string, awareness: Uint8Array, user: string) => void,
  ) {}

  async publish(ch: ChannelName, from: User, data: unknown): Promise<Result<void>> {
    const d = data as { kind?: unknown; update?: unknown } | null;
    if ((d?.kind !== 'update' && d?.kind !== 'awareness') || typeof d.update !== 'string' || !/^[A-Za-z0-9+/]*={0,2}$/.test(d.update)) {
      return fail('bad_request', 'a document takes {"kind":"update"|"awareness","update":<base64>}');
    }
    const bytes = Buffer.from(d.update, 'base64');
    if (d.kind === 'awareness') {
      if (!readAwareness(bytes).ok) return fail('bad_request', 'the awareness update does not decode');
      this.relay(ch.name, bytes, from.id);
      return ok(undefined);
    }
    const writable = canWriteDoc(from);
    if (!writable.ok) return writable;
    const appended = await this.log.append(ch.name, bytes);
    if (!appended.ok) return appended;
    this.stored(ch.name);
    return ok(undefined);
  }
}
