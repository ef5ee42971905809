import { ChannelMembers, type PulseClient } from '@pulse/hub/client';
import type { Member } from '@pulse/hub/protocol';

/**
 * The members of one channel as reactive state. Call `reset` from the
 * channel's `onSubscribed`: the hub greets again after every (re)subscribe.
 */
export class Members {
  list = $state.raw<Member[]>([]);
  count = $state(0);
  /** True while the channel is too large for a list and only its count is known. */
  counting = $state(false);
  private readonly tracked: ChannelMembers;
  private readonly off: () => void;

  constructor(client: PulseClient, ch: string) {
    this.tracked = new ChannelMembers(ch);
    this.off = client.onPresence((f) => {
      if (this.tracked.apply(f)) this.publish();
    });
  }

  reset(): void {
    this.tracked.reset();
    this.publish();
  }

  stop(): void {
    this.off();
  }

  private publish(): void {
    this.list = [...this.tracked.members.values()].sort((a, b) => a.name.localeCompare(b.name));
    this.count = this.tracked.count;
    this.counting = this.tracked.counted !== undefined;
  }
}
