/**
 * The catch-up of a subscribe (a history replay, a room's state, a
 * channel's newest seq) is a JetStream read. At most `perHub` run at once,
 * and at most `perSession` of one session; the rest wait in one line per
 * session, and the lines are served in turn. A session that floods the hub
 * with `since` subscribes waits behind itself, not in front of the others,
 * and the live feed never waits behind replays.
 */
export class ReplayGate {
  private running = 0;
  /** Sessions with something running or waiting; `served` is when each last got a place (a new one never has). */
  private readonly lines = new Map<object, { running: number; waiting: Array<() => void>; served: number }>();
  private turns = 0;

  constructor(
    private readonly perHub: number,
    private readonly perSession: number,
  ) {}

  /** Runs `read` for `session` when its turn comes. */
  async run<T>(session: object, read: () => Promise<T>): Promise<T> {
    await this.enter(session);
    try {
      return await read();
    } finally {
      this.leave(session);
    }
  }

  get load(): { running: number; waiting: number } {
    let waiting = 0;
    for (const line of this.lines.values()) waiting += line.waiting.length;
    return { running: this.running, waiting };
  }

  private enter(session: object): Promise<void> {
    let line = this.lines.get(session);
    if (!line) {
      line = { running: 0, waiting: [], served: -1 };
      this.lines.set(session, line);
    }
    const queued = new Promise<void>((resolve) => line.waiting.push(resolve));
    this.dispatch();
    return queued;
  }

  private leave(session: object): void {
    this.running--;
    const line = this.lines.get(session)!;
    line.running--;
    if (line.running === 0 && line.waiting.length === 0) this.lines.delete(session);
    this.dispatch();
  }

  /** While there is room, gives the next place to the waiting session served longest ago. */
  private dispatch(): void {
    while (this.running < this.perHub) {
      let next: { running: number; waiting: Array<() => void>; served: number } | undefined;
      for (const line of this.lines.values()) {
        if (line.waiting.length > 0 && line.running < this.perSession && (!next || line.served < next.served)) next = line;
      }
      if (!next) return;
      this.running++;
      next.running++;
      next.served = this.turns++;
      next.waiting.shift()!();
    }
  }
}
