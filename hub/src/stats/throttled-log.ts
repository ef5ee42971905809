/**
 * Logs a kind of problem at most once per interval, with how many were
 * suppressed: a flood of bad input must not become a flood of log lines.
 */
export class ThrottledLog {
  private readonly lastAt = new Map<string, number>();
  private readonly suppressed = new Map<string, number>();

  constructor(
    private readonly intervalMs: number,
    private readonly write: (line: string) => void = (l) => console.warn(l),
  ) {}

  warn(kind: string, message: string, now = Date.now()): void {
    const last = this.lastAt.get(kind);
    if (last !== undefined && now - last < this.intervalMs) {
      this.suppressed.set(kind, (this.suppressed.get(kind) ?? 0) + 1);
      return;
    }
    const skipped = this.suppressed.get(kind) ?? 0;
    this.suppressed.delete(kind);
    this.lastAt.set(kind, now);
    this.write(`[pulse] ${kind}: ${message}${skipped ? ` (${skipped} more since the last report)` : ''}`);
  }
}
