/** The longest delay setTimeout honours; Node fires a longer one after 1 ms. */
export const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * Runs `fn` at a wall-clock time however far away (a 90-day token's expiry),
 * by re-arming within setTimeout's limit. The timer never keeps the process
 * alive.
 */
export class Deadline {
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly at: number,
    private readonly fn: () => void,
    private readonly now: () => number = Date.now,
  ) {
    this.arm();
  }

  cancel(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  // Never calls fn synchronously, even for a time already past: callers finish setting up first.
  private arm(): void {
    const left = this.at - this.now();
    this.timer = setTimeout(() => (this.at <= this.now() ? this.fn() : this.arm()), Math.max(0, Math.min(left, MAX_TIMER_MS)));
    this.timer.unref();
  }
}
