import { WINDOW_KINDS, ok, type ChannelName, type Result, type Rollup, type RollupWindow } from '../protocol/index.js';
import type { StreamHistory } from '../bus/stream-history.js';
import type { StreamMessage } from '../bus/live-feed.js';
import { rollupSubject, seriesOfRollupSubject } from '../bus/subjects.js';
import { channelMessage, type ChannelMessage } from '../channels/channel-message.js';
import { newestWins } from '../channels/coalescing.js';
import type { ChannelSource, SyncResult } from '../channels/source.js';

/**
 * A channel is one series and each rollup carries the whole of its window:
 * a slow subscriber is sent the newest, not a backlog.
 */
export const NEWEST_ROLLUP = newestWins('metrics');

/** `metrics:<series>` channels (or `metrics10s:`, `metrics1m:`), backed by their window length's rollups stream. */
export class RollupChannels implements ChannelSource {
  private readonly decoder = new TextDecoder();

  constructor(
    private readonly store: StreamHistory,
    readonly window: RollupWindow,
  ) {}

  /** The channel a stored rollup belongs to, from its subject. */
  channelOf(subject: string): string {
    return `${WINDOW_KINDS[this.window]}:${seriesOfRollupSubject(this.window, subject)}`;
  }

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

  /**
   * The rollups of windows starting in [from, to), oldest first, at most
   * `limit`; `more` when the range held others after them. A window's rollup
   * is stored after the window ends, so the read starts at `from` in storage time.
   */
  async range(ch: ChannelName, from: number, to: number, limit: number): Promise<{ messages: ChannelMessage[]; rollups: Rollup[]; more: boolean }> {
    const subject = this.subjectOf(ch);
    if (!subject) return { messages: [], rollups: [], more: false };
    const messages: ChannelMessage[] = [];
    const rollups: Rollup[] = [];
    let more = false;
    await this.store.readFromTime(subject, from, (m) => {
      const rollup = JSON.parse(this.decoder.decode(m.data)) as Rollup;
      if (rollup.t >= to) return false;
      if (rollup.t < from) return true;
      if (messages.length === limit) {
        more = true;
        return false;
      }
      messages.push(toChannelMessage(ch.ch, m));
      rollups.push(rollup);
      return true;
    });
    return { messages, rollups, more };
  }

  // A name with an empty dot segment cannot be a NATS subject, so no rollup can ever exist for it.
  private subjectOf(ch: ChannelName): string | undefined {
    const n = ch.name;
    if (n.startsWith('.') || n.endsWith('.') || n.includes('..')) return undefined;
    return rollupSubject(this.window, n);
  }
}

function toChannelMessage(ch: string, m: StreamMessage): ChannelMessage {
  return channelMessage(ch, m.seq, m.ts, m.data);
}
