import * as Y from 'yjs';
import { Awareness, applyAwarenessUpdate, encodeAwarenessUpdate, removeAwarenessStates } from 'y-protocols/awareness';
import type { DocData, MessageFrame } from '../protocol/index.js';
import { splitUpdate } from '../protocol/doc-split.js';
import type { PulseClient } from './pulse-client.js';

/** What one frame carries of an update: a client frame is at most 64 KiB of JSON, and base64 adds a third. Larger edits go as several. */
export const PROVIDER_UPDATE_MAX_BYTES = 46 * 1024;

/**
 * A Yjs provider over Pulse's client library, so a document syncs over
 * WebSocket, SSE or long-poll alike, resuming with `since` after a cut like
 * any channel: the `doc:<name>` channel carries the document's updates, and
 * its awareness (cursors, names) rides the same channel without being
 * stored. A local update larger than one frame is sent as several
 * updates that make the same edit.
 */
export class PulseDocProvider {
  readonly awareness: Awareness;
  /** The channel answered: what follows is live. */
  synced = false;
  private readonly ch: string;
  /** Local updates made while the client was not connected, sent once it is subscribed again. */
  private unsent: Uint8Array[] = [];
  private readonly stop: () => void;
  private readonly onUpdate: (update: Uint8Array, origin: unknown) => void;
  private readonly onAwareness: (changes: { added: number[]; updated: number[]; removed: number[] }, origin: unknown) => void;

  constructor(
    private readonly client: PulseClient,
    name: string,
    readonly doc: Y.Doc,
    private readonly opts: { onSynced?: () => void; onError?: (message: string) => void } = {},
  ) {
    this.ch = `doc:${name}`;
    this.awareness = new Awareness(doc);
    this.onUpdate = (update, origin) => {
      if (origin !== this) this.send('update', update);
    };
    this.onAwareness = ({ added, updated, removed }, origin) => {
      if (origin === 'local') this.send('awareness', encodeAwarenessUpdate(this.awareness, [...added, ...updated, ...removed]));
    };
    doc.on('update', this.onUpdate);
    this.awareness.on('update', this.onAwareness);
    this.stop = client.subscribe(this.ch, (f) => this.take(f as MessageFrame<DocData>), {
      onSubscribed: () => {
        // What this client edited while away goes out once it is back.
        const unsent = this.unsent.splice(0);
        if (unsent.length > 0) this.send('update', Y.mergeUpdates(unsent));
        if (this.awareness.getLocalState() !== null) this.send('awareness', encodeAwarenessUpdate(this.awareness, [doc.clientID]));
        if (!this.synced) {
          this.synced = true;
          opts.onSynced?.();
        }
      },
      onError: (e) => opts.onError?.(e.message),
    });
  }

  destroy(): void {
    removeAwarenessStates(this.awareness, [this.doc.clientID], 'local');
    this.doc.off('update', this.onUpdate);
    this.awareness.off('update', this.onAwareness);
    this.awareness.destroy();
    this.stop();
  }

  private take(f: MessageFrame<DocData>): void {
    const bytes = fromBase64(f.data.update);
    if (f.data.kind === 'update') Y.applyUpdate(this.doc, bytes, this);
    else applyAwarenessUpdate(this.awareness, bytes, this);
  }

  private send(kind: DocData['kind'], bytes: Uint8Array): void {
    if (kind === 'update' && bytes.length > PROVIDER_UPDATE_MAX_BYTES) {
      for (const piece of splitUpdate(bytes, PROVIDER_UPDATE_MAX_BYTES)) this.publish(kind, piece);
    } else {
      this.publish(kind, bytes);
    }
  }

  private publish(kind: DocData['kind'], bytes: Uint8Array): void {
    if (bytes.length > PROVIDER_UPDATE_MAX_BYTES) {
      this.opts.onError?.(`${kind === 'update' ? 'one value of an edit' : 'an awareness state'} of ${bytes.length} bytes is larger than one frame carries`);
      return;
    }
    const data: DocData = { kind, update: toBase64(bytes) };
    this.client.publish(this.ch, data).catch((e: { code?: string; message?: string }) => {
      // Not connected (or a hub going away): an edit waits for the next subscribe, and awareness is sent again then.
      if (e.code === 'overloaded' || e.code === 'going_away') {
        if (kind === 'update') this.unsent.push(bytes);
        return;
      }
      this.opts.onError?.(e.message ?? 'not sent');
    });
  }
}

function toBase64(bytes: Uint8Array): string {
  let s = '';
  for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(s);
}

function fromBase64(text: string): Uint8Array {
  const s = atob(text);
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
  return out;
}
