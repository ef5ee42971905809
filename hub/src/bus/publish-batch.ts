import type { MsgHdrs, NatsConnection } from 'nats';

/** How long publishes wait for others to share their socket write. */
export const BATCH_MS = 20;
/** Publishes sent in one turn of the event loop at most. */
export const BATCH_MAX = 500;

/**
 * Plain NATS publishes gathered for BATCH_MS and then sent together (presence changes, which clients see in diffs of 100 ms anyway). nats.js
 * writes its buffer to the socket once per turn of the event loop that
 * published, and work that arrives one message per turn (a crowd's presence,
 * a KV watch) otherwise costs one write system call per publish: on
 * loopback, that was a third of the hub's CPU while 1,000 clients connected.
 */
export class PublishBatch {
  private queue: Array<{ subject: string; data: Uint8Array | undefined; headers: MsgHdrs | undefined }> = [];
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly nc: NatsConnection) {}

  publish(subject: string, data?: Uint8Array, headers?: MsgHdrs): void {
    this.queue.push({ subject, data, headers });
    this.timer ??= setTimeout(() => this.flush(false), BATCH_MS);
  }

  /**
   * Sends what waits, BATCH_MAX at a time, letting other work run between
   * slices: a burst (a dead hub's members swept at once) must not hold up
   * channel messages for its whole length. `all` sends everything now (on stop).
   */
  flush(all = true): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    const slice = all ? this.queue : this.queue.slice(0, BATCH_MAX);
    this.queue = all ? [] : this.queue.slice(slice.length);
    for (const m of slice) this.nc.publish(m.subject, m.data, m.headers ? { headers: m.headers } : undefined);
    if (this.queue.length > 0) this.timer = setTimeout(() => this.flush(false), 0);
  }
}
