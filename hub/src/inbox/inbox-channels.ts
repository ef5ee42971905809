import type { ChannelName } from '../protocol/index.js';
import { inboxSubject, userOfInboxSubject } from '../bus/subjects.js';
import { StreamChannels } from '../channels/stream-channels.js';

/**
 * `inbox:<userId>` channels: a person's notifications and read-state changes,
 * in the order the inbox stream stored them, resumable with `since` like any
 * channel. Who may read one is the channel table's (the person, admins).
 */
export class InboxChannels extends StreamChannels {
  /** Watching one's inbox is not being somewhere: nobody is listed as present in it. */
  readonly tracksPresence = false;

  static channelOf(subject: string): string | undefined {
    const user = userOfInboxSubject(subject);
    return user === undefined ? undefined : `inbox:${user}`;
  }

  protected subjectOf(ch: ChannelName): string {
    return inboxSubject(ch.name, '*');
  }
}
