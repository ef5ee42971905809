import type { Steer } from './coin-chase.js';

/** Inputs a player may send per second: one per tick. */
export const INPUTS_PER_S = 20;
/** Inputs that may come at once after a network stall. */
const INPUT_BURST = 10;
const MAX_RTT_MS = 60_000;

/** Why an input was dropped; each is counted and the player is told. */
export type InputRefusal = 'shape' | 'range' | 'rate' | 'queue';

export type CheckedInput =
  | { ok: true; player: { id: string; name: string }; steer: Steer }
  | { ok: false; reason: InputRefusal; detail: string; player?: { id: string; name: string } };

/**
 * Reads what the hub forwards on `rooms.<room>.input`:
 * `{"player":{"id","name"},"input":{"dx","dy","seq"?,"rtt"?},"ts"}`. The
 * player is the hub's, from the sender's token; anything the client put in
 * its input beyond the steer is ignored, a forged identity included.
 */
export function readInput(message: unknown): CheckedInput {
  if (typeof message !== 'object' || message === null) return { ok: false, reason: 'shape', detail: 'not an object' };
  const { player, input } = message as Record<string, unknown>;
  if (typeof player !== 'object' || player === null) return { ok: false, reason: 'shape', detail: 'no player' };
  const { id, name } = player as Record<string, unknown>;
  if (typeof id !== 'string' || id.length === 0 || id.length > 200) return { ok: false, reason: 'shape', detail: 'no player id' };
  const who = { id, name: typeof name === 'string' ? name.slice(0, 60) : id };
  if (typeof input !== 'object' || input === null || Array.isArray(input)) return { ok: false, reason: 'shape', detail: 'input must be {"dx","dy"}', player: who };
  const { dx, dy, seq, rtt } = input as Record<string, unknown>;
  if (typeof dx !== 'number' || typeof dy !== 'number') return { ok: false, reason: 'shape', detail: 'dx and dy must be numbers', player: who };
  if (!(Math.abs(dx) <= 1 && Math.abs(dy) <= 1)) return { ok: false, reason: 'range', detail: 'dx and dy must be within -1..1', player: who };
  if (seq !== undefined && !(Number.isSafeInteger(seq) && (seq as number) > 0)) return { ok: false, reason: 'range', detail: 'seq must be a positive integer', player: who };
  if (rtt !== undefined && !(typeof rtt === 'number' && rtt >= 0 && rtt <= MAX_RTT_MS)) return { ok: false, reason: 'range', detail: `rtt must be 0..${MAX_RTT_MS} ms`, player: who };
  return { ok: true, player: who, steer: { dx, dy, ...(seq !== undefined && { seq: seq as number }), ...(rtt !== undefined && { rtt: Math.round(rtt as number) }) } };
}

/** A token bucket per player: INPUTS_PER_S, with a small burst. */
export class InputRates {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();

  allow(id: string, now: number): boolean {
    const b = this.buckets.get(id) ?? { tokens: INPUT_BURST, at: now };
    b.tokens = Math.min(INPUT_BURST, b.tokens + ((now - b.at) * INPUTS_PER_S) / 1000);
    b.at = now;
    this.buckets.set(id, b);
    if (b.tokens < 1) return false;
    b.tokens--;
    return true;
  }

  forget(id: string): void {
    this.buckets.delete(id);
  }
}
