import { ok, type ChannelName, type Result } from '../protocol/index.js';
import type { ChannelMessage } from '../channels/channel-message.js';
import type { ChannelRegistry, ChannelSubscriber } from '../channels/registry.js';
import type { ChannelSource, SyncResult } from '../channels/source.js';

export interface UserStatus {
  online: boolean;
  lastSeen: number | undefined;
}

/**
 * `status:<userId>`: whether one person is online, for watching a few people
 * (a friends list, an author's avatar) without joining their channels. A
 * subscriber gets the status now, then a message each time it changes; the
 * messages have no seq (nothing is stored), and watching does not make the
 * watcher present anywhere.
 */
export class StatusChannels implements ChannelSource {
  readonly tracksPresence = false;

  constructor(
    private readonly registry: ChannelRegistry,
    private readonly statusOf: (userId: string) => Promise<UserStatus>,
  ) {}

  async sync(): Promise<Result<SyncResult>> {
    return ok({ seq: 0, messages: [], recovered: false });
  }

  async history(): Promise<Result<ChannelMessage[]>> {
    return ok([]);
  }

  greet(ch: ChannelName, to: ChannelSubscriber): void {
    this.statusOf(ch.name).then(
      (status) => to.deliverEphemeral('message', statusFrame(ch.ch, status)),
      () => undefined,
    );
  }

  /** A person came online or went offline: tell whoever watches them on this hub. */
  changed(userId: string, status: UserStatus): void {
    const ch = `status:${userId}`;
    if (this.registry.has(ch)) this.registry.publishEphemeral(ch, 'message', statusFrame(ch, status));
  }
}

function statusFrame(ch: string, s: UserStatus): string {
  return JSON.stringify({ type: 'message', ch, ts: Date.now(), data: { status: s.online ? 'online' : 'offline', lastSeen: s.lastSeen ?? null } });
}
