import type { PulseClient } from '@pulse/hub/client';
import { mergePatch, type Json, type MessageFrame, type RoomAuthor, type RoomData, type RoomPublishData } from '@pulse/hub/protocol';
import { roomHistory } from './api';
import { Members } from './members.svelte';

/** Chat lines kept on screen. */
const CHAT_KEEP = 200;
/** A typing flag the hub did not clear (a lost frame) is dropped after this long anyway. */
const TYPING_STALE_MS = 6_000;

export interface ChatLine {
  seq: number;
  from: RoomAuthor;
  text: string;
  ts: number;
}

/**
 * One room as reactive state: the game state (the first `state`, then merge
 * patches over it), chat with its recent history, who is typing, the latest
 * event, and the members.
 */
export class Room {
  state = $state.raw<Json | undefined>();
  chat = $state.raw<ChatLine[]>([]);
  typing = $state.raw<RoomAuthor[]>([]);
  lastEvent = $state.raw<{ event: Json; ts: number } | undefined>();
  chatError = $state<string | undefined>();
  readonly members: Members;
  private readonly typers = new Map<string, { from: RoomAuthor; at: number }>();
  private readonly stopAll: () => void;

  constructor(
    private readonly client: PulseClient,
    readonly ch: string,
  ) {
    this.members = new Members(client, ch);
    const unsubscribe = client.subscribe(ch, (f) => this.take(f), { onSubscribed: () => this.members.reset() });
    const sweep = setInterval(() => this.dropStaleTypers(), 1_000);
    void this.loadChat();
    this.stopAll = () => {
      unsubscribe();
      clearInterval(sweep);
      this.members.stop();
    };
  }

  stop(): void {
    this.stopAll();
  }

  publish(data: RoomPublishData): Promise<void> {
    return this.client.publish(this.ch, data);
  }

  private take(f: MessageFrame): void {
    const d = f.data as RoomData;
    switch (d.kind) {
      case 'state':
        this.state = d.state;
        return;
      case 'patch':
        this.state = mergePatch(this.state ?? {}, d.patch);
        return;
      case 'event':
        this.lastEvent = { event: d.event, ts: f.ts };
        return;
      case 'chat':
        if (f.seq !== undefined) this.addChat([{ seq: f.seq, from: d.from, text: d.text, ts: f.ts }]);
        this.typers.delete(d.from.id);
        this.publishTypers();
        return;
      case 'typing':
        if (d.on) this.typers.set(d.from.id, { from: d.from, at: Date.now() });
        else this.typers.delete(d.from.id);
        this.publishTypers();
        return;
    }
  }

  // History and live lines may overlap: merged by seq, each once.
  private addChat(lines: ChatLine[]): void {
    const bySeq = new Map(this.chat.map((l) => [l.seq, l]));
    for (const l of lines) bySeq.set(l.seq, l);
    this.chat = [...bySeq.values()].sort((a, b) => a.seq - b.seq).slice(-CHAT_KEEP);
  }

  private async loadChat(): Promise<void> {
    try {
      const past = await roomHistory(this.ch, ['chat'], 50);
      this.addChat(
        past.flatMap((m) => {
          const d = m.data as RoomData;
          return d.kind === 'chat' && m.seq !== undefined ? [{ seq: m.seq, from: d.from, text: d.text, ts: m.ts }] : [];
        }),
      );
      this.chatError = undefined;
    } catch (e) {
      this.chatError = `earlier chat could not be loaded: ${e instanceof Error ? e.message : String(e)}`;
    }
  }

  private dropStaleTypers(): void {
    const now = Date.now();
    let changed = false;
    for (const [id, t] of this.typers) {
      if (now - t.at > TYPING_STALE_MS) {
        this.typers.delete(id);
        changed = true;
      }
    }
    if (changed) this.publishTypers();
  }

  private publishTypers(): void {
    this.typing = [...this.typers.values()].map((t) => t.from);
  }
}
