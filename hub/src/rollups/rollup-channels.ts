import { WINDOW_KINDS, type ChannelName, type Rollup, type RollupWindow } from '../protocol/index.js';
import type { StreamHistory } from '../bus/stream-history.js';
import { rollupSubject, seriesOfRollupSubject } from '../bus/subjects.js';
import type { ChannelMessage } from '../channels/channel-message.js';
import { newestWins } from '../channels/coalescing.js';
import { StreamChannels, toChannelMessage } from '../channels/stream-channels.js';

/**
 * A channel is one series and each rollup carries the whole of its window:
 * a slow subscriber is sent the newest, not a backlog.
 */
export const NEWEST_ROLLUP = newestWins('metrics');

/** `metrics:<series>` channels (or `metrics10s:`, `metrics1m:`), backed by their window length's rollups stream. */
export class RollupChannels extends StreamChannels {
  private readonly decoder = new TextDecoder();

  constructor(
    store: StreamHistory,
    readonly window: RollupWindow,
  ) {
    super(store);
  }

  /** The channel a stored rollup belongs to, from its subject. */
  channelOf(subject: string): string {
    return `${WINDOW_KINDS[this.window]}:${seriesOfRollupSubject(this.window, subject)}`;
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
  protected subjectOf(ch: ChannelName): string | undefined {
    const n = ch.name;
    if (n.startsWith('.') || n.endsWith('.') || n.includes('..')) return undefined;
    return rollupSubject(this.window, n);
  }
}
