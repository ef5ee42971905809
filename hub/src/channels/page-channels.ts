import { ok, type ChannelName, type Result } from '../protocol/index.js';
import type { ChannelMessage } from './channel-message.js';
import type { ChannelSource, SyncResult } from './source.js';

/**
 * `page:<name>` channels carry no messages: subscribing to one only makes the
 * subscriber present there, so a dashboard page can show who is watching it.
 */
export class PageChannels implements ChannelSource {
  async sync(_ch: ChannelName, since: number | undefined): Promise<Result<SyncResult>> {
    return ok({ seq: 0, messages: [], recovered: since !== undefined });
  }

  async history(): Promise<Result<ChannelMessage[]>> {
    return ok([]);
  }
}
