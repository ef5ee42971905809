import { StringCodec, type NatsConnection, type Subscription } from 'nats';
import type { User } from '../protocol/index.js';
import { roomOfTypingSubject, typingSubject, TYPING_SUBJECTS } from '../bus/subjects.js';

/** A typing flag lapses this long after the last `on: true` from its member (docs/protocol.md). */
export const TYPING_LAPSE_MS = 5_000;

const sc = StringCodec();

/**
 * Typing flags between hubs. They are ephemeral, so they ride core NATS and
 * never enter history; each hub lapses the flags it relayed on its own clock,
 * so a flag from a hub that died still ends.
 */
export class TypingRelay {
  private readonly lapses = new Map<string, NodeJS.Timeout>();
  private sub: Subscription | undefined;

  constructor(
    private readonly nc: NatsConnection,
    /** One serialized `message` frame without seq, for every local subscriber of the room. */
    private readonly deliver: (ch: string, frame: string) => void,
  ) {}

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
    for (const t of this.lapses.values()) clearTimeout(t);
    this.lapses.clear();
  }

  private relay(room: string, from: { id: string; name: string }, on: boolean): void {
    const key = `${room}\n${from.id}`;
    clearTimeout(this.lapses.get(key));
    this.lapses.delete(key);
    if (on) {
      this.lapses.set(
        key,
        setTimeout(() => {
          this.lapses.delete(key);
          this.send(room, from, false);
        }, TYPING_LAPSE_MS),
      );
    }
    this.send(room, from, on);
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
