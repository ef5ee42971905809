import { ok, type ChannelName, type Result } from '../protocol/index.js';
import type { StreamHistory } from '../bus/stream-history.js';
import type { StreamMessage } from '../bus/live-feed.js';
import { channelMessage, type ChannelMessage } from './channel-message.js';
import type { ChannelSource, SyncResult } from './source.js';

/**
 * Channels whose history is the messages of one subject (or subject filter)
 * of a stream, each delivered as stored: rollups, inboxes.
 */
export abstract class StreamChannels implements ChannelSource {
  constructor(protected readonly store: StreamHistory) {}

  /** The subject filter of a channel; undefined for one that can never carry a message. */
  protected abstract subjectOf(ch: ChannelName): string | undefined;

  async sync(ch: ChannelName, since: number | undefined): Promise<Result<SyncResult>> {
    const subject = this.subjectOf(ch);
    if (!subject) return ok({ seq: 0, messages: [], recovered: true });
    if (since === undefined) return ok({ seq: await this.store.lastSeq(subject), messages: [], recovered: false });
    const read = await this.store.read(subject, since, Number.MAX_SAFE_INTEGER);
    const messages = read.messages.map((m) => toChannelMessage(ch.ch, m));
    // With nothing after `since` in history, the position stays at `since`: asking the stream for its
    // latest seq now could name a message stored since the read, which the subscription then holds
    // back as already sent (it comes live, and goLive drops what is not above this seq).
    const seq = messages.length > 0 ? messages[messages.length - 1]!.seq : since;
    // The oldest seq is read after the history, so what aged out meanwhile is not claimed as replayed.
    return ok({ seq, messages, recovered: read.complete && since + 1 >= (await this.store.firstSeq()) });
  }

  async history(ch: ChannelName, since: number | undefined, limit: number): Promise<Result<ChannelMessage[]>> {
    const subject = this.subjectOf(ch);
    if (!subject) return ok([]);
    if (since !== undefined) return ok((await this.store.read(subject, since, limit)).messages.map((m) => toChannelMessage(ch.ch, m)));
    const all = (await this.store.read(subject, 0, Number.MAX_SAFE_INTEGER)).messages;
    return ok(all.slice(-limit).map((m) => toChannelMessage(ch.ch, m)));
  }
}

export function toChannelMessage(ch: string, m: StreamMessage): ChannelMessage {
  return channelMessage(ch, m.seq, m.ts, m.data);
}
