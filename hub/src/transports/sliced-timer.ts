/** How often a sliced round takes its next slice. */
export const SLICE_MS = 100;

/**
 * Visits every member once per `intervalMs`, a slice every SLICE_MS, instead
 * of all at once: pinging 10,000 sockets in one go stalls the event loop for
 * over 100 ms and delays every message behind it; in slices the same work is
 * a steady trickle.
 */
export class SlicedRound<T> {
  private readonly members = new Set<T>();
  private cursor: Iterator<T> = this.members.values();
  /** Ticks since the current round began: a new round waits for a whole interval, however few members there are. */
  private roundTicks = 0;
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly intervalMs: number,
    private readonly visit: (member: T) => void,
  ) {
    this.timer = setInterval(() => this.tick(), Math.min(SLICE_MS, intervalMs)).unref();
  }

  add(member: T): void {
    this.members.add(member);
  }

  delete(member: T): void {
    this.members.delete(member);
  }

  get size(): number {
    return this.members.size;
  }

  stop(): void {
    clearInterval(this.timer);
  }

  private tick(): void {
    const slices = Math.max(1, Math.floor(this.intervalMs / Math.min(SLICE_MS, this.intervalMs)));
    this.roundTicks++;
    let n = Math.ceil(this.members.size / slices);
    while (n-- > 0) {
      let next = this.cursor.next();
      if (next.done) {
        if (this.roundTicks <= slices) return;
        // A new round: members added since the last one are in it.
        this.roundTicks = 1;
        this.cursor = this.members.values();
        next = this.cursor.next();
        if (next.done) return;
      }
      this.visit(next.value);
    }
  }
}
