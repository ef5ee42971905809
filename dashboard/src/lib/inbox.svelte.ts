import type { PulseClient } from '@pulse/hub/client';
import type { InboxData, MessageFrame, Notification, NotificationsPage } from '@pulse/hub/protocol';
import { listNotifications, markAllRead, markRead } from './api';

type Listed = NotificationsPage['notifications'][number];

/** How long a toast stays. */
const TOAST_MS = 6_000;

/**
 * The signed-in person's inbox as reactive state: the newest notifications,
 * the unread count, and a toast for each one that arrives live. The live
 * channel is subscribed before the first page is read, so nothing falls
 * between; what arrives live changes the list, and a read on any device
 * (a `read` or `read-all` message) reads the list again, so the count is the
 * hub's, the same on every tab.
 */
export class Inbox {
  items = $state.raw<Listed[]>([]);
  unread = $state(0);
  toasts = $state.raw<Array<Notification & { seq: number }>>([]);
  error = $state<string | undefined>();
  more = $state(false);
  private next: number | undefined;
  /** A read of the newest page is on its way; `stale` when something arrived meanwhile that it may not hold. */
  private reading = false;
  private stale = false;
  private readonly stop: () => void;

  constructor(client: PulseClient, user: string) {
    let listed = false;
    this.stop = client.subscribe(`inbox:${user}`, (f) => this.take(f as MessageFrame<InboxData>, listed), {
      onSubscribed: () => {
        listed = true;
        void this.refresh();
      },
    });
  }

  close(): void {
    this.stop();
  }

  async loadOlder(): Promise<void> {
    if (this.next === undefined) return;
    try {
      const page = await listNotifications(this.next);
      this.items = [...this.items, ...page.notifications.filter((n) => !this.items.some((i) => i.id === n.id))];
      this.next = page.next;
      this.more = page.next !== undefined;
    } catch (e) {
      this.error = e instanceof Error ? e.message : String(e);
    }
  }

  async open(n: Listed): Promise<void> {
    if (!n.read) await markRead(n.id, n.seq).catch((e: unknown) => (this.error = e instanceof Error ? e.message : String(e)));
  }

  async readAll(): Promise<void> {
    const newest = this.items[0]?.seq;
    if (newest !== undefined) await markAllRead(newest).catch((e: unknown) => (this.error = e instanceof Error ? e.message : String(e)));
  }

  dismiss(seq: number): void {
    this.toasts = this.toasts.filter((t) => t.seq !== seq);
  }

  private take(f: MessageFrame<InboxData>, live: boolean): void {
    const d = f.data;
    if (d.kind === 'notification' && f.seq !== undefined && !this.items.some((i) => i.id === d.notification.id)) {
      this.items = [{ ...d.notification, seq: f.seq, read: false }, ...this.items];
      this.unread++;
      // A page read before this arrived would put the count back: it is read again after.
      if (this.reading) this.stale = true;
      if (live) this.toast({ ...d.notification, seq: f.seq });
      return;
    }
    if (d.kind === 'read' || d.kind === 'read-all') void this.refresh();
  }

  private toast(t: Notification & { seq: number }): void {
    this.toasts = [...this.toasts.slice(-2), t];
    setTimeout(() => this.dismiss(t.seq), TOAST_MS);
  }

  /**
   * Reads the newest page again: the hub's unread count and read marks, the
   * same on every tab. A notification or read that arrives while a read is
   * on its way makes it read once more, so an older answer never has the
   * last word.
   */
  private async refresh(): Promise<void> {
    if (this.reading) {
      this.stale = true;
      return;
    }
    this.reading = true;
    try {
      do {
        this.stale = false;
        const page = await listNotifications();
        if (this.stale) continue;
        this.items = page.notifications;
        this.unread = page.unread;
        this.next = page.next;
        this.more = page.next !== undefined;
        this.error = undefined;
      } while (this.stale);
    } catch (e) {
      this.error = e instanceof Error ? e.message : String(e);
    } finally {
      this.reading = false;
    }
  }
}
