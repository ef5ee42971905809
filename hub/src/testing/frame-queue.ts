import type { ServerFrame } from '../protocol/index.js';

/**
 * Server frames in arrival order for tests: `next` takes (waiting, bounded)
 * the oldest frame not yet taken that matches, leaving the others queued.
 */
export class FrameQueue {
  /** Every frame received, in order. */
  readonly all: ServerFrame[] = [];
  private readonly queue: ServerFrame[] = [];
  private waiters: Array<() => void> = [];
  ended: string | undefined;

  push(frame: ServerFrame): void {
    this.all.push(frame);
    this.queue.push(frame);
    this.wake();
  }

  end(why: string): void {
    this.ended ??= why;
    this.wake();
  }

  async next<F extends ServerFrame = ServerFrame>(match: (f: ServerFrame) => boolean, timeoutMs = 10_000): Promise<F> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const i = this.queue.findIndex(match);
      if (i >= 0) return this.queue.splice(i, 1)[0] as F;
      if (this.ended) throw new Error(`connection ended (${this.ended}) while waiting; last frames: ${JSON.stringify(this.all.slice(-3))}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no matching frame within ${timeoutMs} ms; last frames: ${JSON.stringify(this.all.slice(-5))}`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }

  private wake(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }
}
