import { StringCodec, type NatsConnection, type Subscription } from 'nats';
import type { User } from '../protocol/index.js';
import { roomOfTypingSubject, typingSubject, TYPING_SUBJECTS } from '../bus/subjects.js';

/** A typing flag lapses this long after the last `on: true` from its member (docs/protocol.md). */
export const TYPING_LAPSE_MS = 5_000;
/** Flags one hub times at once; past it the oldest lapses early, so a crowd of typists cannot grow the hub. */
export const TYPING_FLAGS_MAX = 10_000;

const sc = StringCodec();

interface Flag {
  timer: NodeJS.Timeout;
  room: string;
  from: { id: string; name: string };
}

/**
 * Typing flags between hubs. They are ephemeral, so they ride core NATS and
 * never enter history; each hub lapses the flags it relayed on its own clock,
 * so a flag from a hub that died still ends.
 */
export class TypingRelay {
  private readonly lapses = new Map<string, Flag>();
  private sub: Subscription | undefined;

  constructor(
    private readonly nc: NatsConnection,
    /** One serialized `message` frame without seq, for every local subscriber of the room. */
    private readonly deliver: (ch: string, frame: string) => void,
    /** Whether the channel has subscribers here: flags of rooms nobody here watches are not kept. */
    private readonly watched: (ch: string) => boolean,
  ) {}

  /** Flags this hub is timing. */
  get size(): number {
    return this.lapses.size;
  }

  start(): void {
    this.sub = this.nc.subscribe(TYPING_SUBJECTS, {
      callback: (err, m) => {
        if (err) return;
        const room = roomOfTypingSubject(m.subject);
        const flag = readFlag(sc.decode(m.data));
        if (flag) this.relay(room, flag.from, flag.on);
      },
    });
  }

  publish(room: string, from: User, on: boolean): void {
    this.nc.publish(typingSubject(room), sc.encode(JSON.stringify({ from: { id: from.id, name: from.name }, on })));
  }

  stop(): void {
    this.sub?.unsubscribe();
    for (const f of this.lapses.values()) clearTimeout(f.timer);
    this.lapses.clear();
  }

  private relay(room: string, from: { id: string; name: string }, on: boolean): void {
    const key = `${room}\n${from.id}`;
    clearTimeout(this.lapses.get(key)?.timer);
    this.lapses.delete(key);
    if (!this.watched(`room:${room}`)) return;
    if (on) {
      if (this.lapses.size >= TYPING_FLAGS_MAX) this.lapseOldest();
      const timer = setTimeout(() => {
        this.lapses.delete(key);
        this.send(room, from, false);
      }, TYPING_LAPSE_MS);
      this.lapses.set(key, { timer, room, from });
    }
    this.send(room, from, on);
  }

  /** Keys are re-inserted on every flag, so the first one is the flag set longest ago. */
  private lapseOldest(): void {
    const [key, flag] = this.lapses.entries().next().value!;
    clearTimeout(flag.timer);
    this.lapses.delete(key);
    this.send(flag.room, flag.from, false);
  }

  private send(room: string, from: { id: string; name: string }, on: boolean): void {
    const ch = `room:${room}`;
    this.deliver(ch, JSON.stringify({ type: 'message', ch, ts: Date.now(), data: { kind: 'typing', from, on } }));
  }
}

function readFlag(text: string): { from: { id: string; name: string }; on: boolean } | undefined {
  try {
    const v = JSON.parse(text) as { from?: { id?: unknown; name?: unknown }; on?: unknown };
    if (typeof v.from?.id !== 'string' || typeof v.from.name !== 'string' || typeof v.on !== 'boolean') return undefined;
    return { from: { id: v.from.id, name: v.from.name }, on: v.on };
  } catch {
    return undefined;
  }
}
