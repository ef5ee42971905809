import type { AwarenessEntry } from './yjs-messages.js';

/** A client's awareness lapses this long after its last update, as y-protocols' does. */
export const AWARENESS_TIMEOUT_MS = 30_000;

/**
 * What one hub knows of a document's awareness: each client's newest state,
 * when it came, and whose Pulse session sent it. It answers a newcomer with
 * the states that have not lapsed; every client lapses the others' states
 * on its own after the same timeout, so a lapse is not announced. A Pulse
 * person's states end together when presence says they left the document
 * (after its grace for reconnects); a y-websocket connection ends its own
 * clients' states when it closes.
 */
export class AwarenessTable {
  private readonly states = new Map<number, { entry: AwarenessEntry; at: number; user: string | undefined }>();

  get size(): number {
    return this.states.size;
  }

  /** Takes an update's entries, newest clock winning; returns those that changed something, to pass on. */
  take(entries: readonly AwarenessEntry[], user: string | undefined, now: number): AwarenessEntry[] {
    const taken: AwarenessEntry[] = [];
    for (const e of entries) {
      const known = this.states.get(e.client);
      if (known && known.entry.clock > e.clock) continue;
      if (e.state === 'null') this.states.delete(e.client);
      else this.states.set(e.client, { entry: e, at: now, user: user ?? known?.user });
      taken.push(e);
    }
    return taken;
  }

  /** The states a newcomer is told of: those updated within the timeout. */
  current(now: number): AwarenessEntry[] {
    const out: AwarenessEntry[] = [];
    for (const s of this.states.values()) if (now - s.at <= AWARENESS_TIMEOUT_MS) out.push(s.entry);
    return out;
  }

  /** The person left the document: their clients' states end, as null entries to send on. */
  endUser(user: string): AwarenessEntry[] {
    const ended: AwarenessEntry[] = [];
    for (const [client, s] of this.states) {
      if (s.user !== user) continue;
      this.states.delete(client);
      ended.push({ client, clock: s.entry.clock + 1, state: 'null' });
    }
    return ended;
  }

  /** Forgets the states that lapsed. */
  sweep(now: number): void {
    for (const [client, s] of this.states) if (now - s.at > AWARENESS_TIMEOUT_MS) this.states.delete(client);
  }
}
