import { StorageType, type JetStreamClient, type JetStreamManager, type KV } from 'nats';
import * as Y from 'yjs';
import { DOC_EDIT_MAX_BYTES, DOC_UPDATE_MAX_BYTES, fail, ok, type DocData, type Result } from '../protocol/index.js';
import { splitUpdate } from '../protocol/doc-split.js';
import { DOCS_STREAM } from '../bus/streams.js';
import { docSubject } from '../bus/subjects.js';
import { StreamHistory } from '../bus/stream-history.js';
import { isYjsUpdate } from './yjs-messages.js';
import { openBucket } from '../bus/kv-bucket.js';

export const COMPACTIONS_BUCKET = 'PULSE_DOC_COMPACTIONS';
/** Updates stored since the last compaction before a document is compacted. */
export const COMPACT_AFTER = 200;
/** A compacted chunk merges updates up to about this many bytes: a joiner receives the document in pieces this size. */
export const CHUNK_BYTES = 128 * 1024;

export interface StoredUpdate {
  seq: number;
  update: Uint8Array;
}

/**
 * A document's updates in the PULSE_DOCS stream: `.u` the updates clients
 * sent, `.c` the chunks a compaction merged them into. A reader takes both
 * in stream order; Yjs updates commute and repeat harmlessly, so a chunk
 * that overlaps what follows it costs bytes, never correctness.
 *
 * Compaction merges everything up to the newest stored seq `S` into chunks
 * of at most CHUNK_BYTES, stores them, and only then removes what they
 * replace, so a reader at any moment reads the whole document. Two hubs
 * compacting at once each store their chunks; a compare-and-set on the
 * document's record in COMPACTIONS_BUCKET lets one of them remove the old
 * messages, and the other's chunks stay as harmless repeats until the next.
 */
export class DocLog {
  private readonly history: StreamHistory;
  private readonly encoder = new TextEncoder();
  private readonly decoder = new TextDecoder();

  private constructor(
    private readonly js: JetStreamClient,
    private readonly jsm: JetStreamManager,
    private readonly kv: KV,
  ) {
    this.history = new StreamHistory(js, jsm, DOCS_STREAM);
  }

  static async start(js: JetStreamClient, jsm: JetStreamManager, replicas: number): Promise<DocLog> {
    return new DocLog(js, jsm, await openBucket(js, COMPACTIONS_BUCKET, { history: 1, storage: StorageType.File, replicas }));
  }

  /**
   * Stores one update a client sent, after checking it is one: a large one
   * as several of at most CHUNK_BYTES, in clock order, so that a reader never
   * gets a message over the transports' limits. Returns the last seq.
   */
  async append(name: string, update: Uint8Array): Promise<Result<number>> {
    if (update.length > DOC_EDIT_MAX_BYTES) return fail('too_large', `an edit is at most ${DOC_EDIT_MAX_BYTES} bytes`);
    if (!isYjsUpdate(update)) return fail('bad_request', 'the update does not decode as a Yjs update');
    const pieces = splitUpdate(update, CHUNK_BYTES);
    if (pieces.some((p) => p.length > DOC_UPDATE_MAX_BYTES)) return fail('too_large', `one value of the edit is larger than ${DOC_UPDATE_MAX_BYTES} bytes`);
    let seq = 0;
    for (const piece of pieces) seq = (await this.js.publish(docSubject(name, 'u'), this.encode(piece))).seq;
    return ok(seq);
  }

  /** Every stored update and chunk of the document, in stream order, and how many updates came since the last compaction. */
  async read(name: string): Promise<{ updates: StoredUpdate[]; sinceCompaction: number }> {
    const read = await this.history.read(docSubject(name, '*'), 0, Number.MAX_SAFE_INTEGER);
    let sinceCompaction = 0;
    const updates = read.messages.map((m) => {
      if (m.subject.endsWith('.u')) sinceCompaction++;
      return { seq: m.seq, update: this.decode(m.data) };
    });
    return { updates, sinceCompaction };
  }

  /** Decodes a stored message (a DocData). */
  decode(data: Uint8Array): Uint8Array {
    return Buffer.from((JSON.parse(this.decoder.decode(data)) as DocData).update, 'base64');
  }

  /** Compacts the document when enough updates came since the last time; true when this call removed what it replaced. */
  async compact(name: string): Promise<boolean> {
    const { updates, sinceCompaction } = await this.read(name);
    if (sinceCompaction < COMPACT_AFTER || updates.length === 0) return false;
    const through = updates.at(-1)!.seq;
    let first: number | undefined;
    for (const chunk of chunksOf(updates.map((u) => u.update))) {
      const ack = await this.js.publish(docSubject(name, 'c'), this.encode(chunk));
      first ??= ack.seq;
    }
    const key = Buffer.from(name).toString('base64url');
    const entry = await this.kv.get(key);
    const previous = entry && entry.value.length > 0 ? (JSON.parse(this.decoder.decode(entry.value)) as { through: number }).through : 0;
    if (previous >= through) return false;
    try {
      const record = JSON.stringify({ through, first });
      if (entry) await this.kv.update(key, record, entry.revision);
      else await this.kv.create(key, record);
    } catch {
      return false;
    }
    await this.jsm.streams.purge(DOCS_STREAM, { filter: docSubject(name, 'c'), seq: first! });
    await this.jsm.streams.purge(DOCS_STREAM, { filter: docSubject(name, 'u'), seq: through + 1 });
    return true;
  }

  private encode(update: Uint8Array): Uint8Array {
    const data: DocData = { kind: 'update', update: Buffer.from(update).toString('base64') };
    return this.encoder.encode(JSON.stringify(data));
  }
}

/** Consecutive updates merged into chunks of at most CHUNK_BYTES (but for one value larger than that). */
export function chunksOf(updates: Uint8Array[]): Uint8Array[] {
  const out: Uint8Array[] = [];
  let group: Uint8Array[] = [];
  let bytes = 0;
  for (const u of updates) {
    if (group.length > 0 && bytes + u.length > CHUNK_BYTES) {
      out.push(...splitUpdate(Y.mergeUpdates(group), CHUNK_BYTES));
      group = [];
      bytes = 0;
    }
    group.push(u);
    bytes += u.length;
  }
  if (group.length > 0) out.push(...splitUpdate(Y.mergeUpdates(group), CHUNK_BYTES));
  return out;
}
