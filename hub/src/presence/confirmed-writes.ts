/** A write not seen back in the bucket's watch within this long is sent again. */
export const RESEND_AFTER_MS = 2_000;

/**
 * This hub's own presence writes, sent as plain NATS publishes into the
 * bucket's stream rather than acknowledged KV puts: a crowd of connections
 * then costs one publish each instead of one request each (a reply inbox, a
 * timer and an error kept for its stack, until the ack), which was a fifth of
 * the hub's CPU while 1,000 clients connected.
 *
 * Nothing is lost for it: every hub watches the bucket anyway, so a write is
 * confirmed when the watch hands it back as what this hub wants the key to
 * hold now. A key still unconfirmed after RESEND_AFTER_MS (a publish lost in
 * a reconnect) is written again with what is wanted then, until it is.
 */
export class ConfirmedWrites {
  /** Keys written and not yet seen back as wanted, with when they were last sent. */
  private readonly pending = new Map<string, number>();

  constructor(
    /** Publishes what the key should hold now: its entry, or a delete when it should hold none. */
    private readonly send: (key: string) => void,
  ) {}

  write(key: string, now: number): void {
    this.pending.set(key, now);
    this.send(key);
  }

  /** The watch handed back the key as this hub wants it. */
  confirm(key: string): void {
    this.pending.delete(key);
  }

  /** Sends again what has waited too long for its confirmation. */
  resend(now: number): void {
    for (const [key, sent] of this.pending) {
      if (now - sent < RESEND_AFTER_MS) continue;
      this.pending.set(key, now);
      this.send(key);
    }
  }

  get size(): number {
    return this.pending.size;
  }
}
