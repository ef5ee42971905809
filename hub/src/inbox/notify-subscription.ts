import type { NatsConnection, Subscription } from 'nats';
import { NOTIFY_SUBJECTS, readNotificationInput, userOfNotifySubject, type PulseError } from '../protocol/index.js';
import type { InboxStore } from './inbox-store.js';

/** Hub processes share `notify.*` in this queue group: each notification is taken by one of them. */
const QUEUE = 'pulse-notify';

export interface NotifyEvents {
  sent: () => void;
  refused: (subject: string, error: PulseError) => void;
  failed: (err: unknown) => void;
}

/** Notifications services send over NATS, to `notify.<userId>`, checked and stored as `POST /api/notifications` does. */
export function subscribeNotify(nc: NatsConnection, store: InboxStore, events: NotifyEvents): Subscription {
  const decoder = new TextDecoder();
  return nc.subscribe(NOTIFY_SUBJECTS, {
    queue: QUEUE,
    callback: (err, m) => {
      if (err) return events.failed(err);
      const user = userOfNotifySubject(m.subject);
      let json: unknown;
      try {
        json = JSON.parse(decoder.decode(m.data));
      } catch {
        return events.refused(m.subject, { code: 'bad_request', message: 'a notification must be JSON' });
      }
      const input = readNotificationInput(json);
      if (!user || !input.ok) return events.refused(m.subject, input.ok ? { code: 'bad_request', message: 'no user in the subject' } : input.error);
      store.send(user, input.value, Date.now()).then(
        () => events.sent(),
        (e: unknown) => events.failed(e),
      );
    },
  });
}
