import type { ClientFrame } from '../../protocol/index.js';

/**
 * Client frames for an SSE or poll session, sent in order: one POST at a
 * time, with whatever queued meanwhile batched into the next.
 */
export class CommandSender {
  private queue: ClientFrame[] = [];
  private inFlight = false;
  private sessionUrl: URL | undefined;

  constructor(
    private readonly headers: Record<string, string>,
    private readonly onFailure: () => void,
  ) {}

  /** Frames queue until the session is known (its `welcome`). */
  ready(url: URL): void {
    this.sessionUrl = url;
    void this.flush();
  }

  send(frames: ClientFrame[]): void {
    this.queue.push(...frames);
    void this.flush();
  }

  private async flush(): Promise<void> {
    if (this.inFlight || !this.sessionUrl || this.queue.length === 0) return;
    const batch = this.queue;
    this.queue = [];
    this.inFlight = true;
    try {
      const res = await fetch(this.sessionUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...this.headers },
        body: JSON.stringify(batch),
      });
      // 404/410: the session is gone (the hub restarted, or it idled out); the connection is over.
      if (!res.ok) this.onFailure();
    } catch {
      this.onFailure();
    } finally {
      this.inFlight = false;
    }
    void this.flush();
  }
}
