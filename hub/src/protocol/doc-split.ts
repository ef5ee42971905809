import * as Y from 'yjs';
import * as encoding from 'lib0/encoding';

type Struct = Y.Item | Y.GC;
type DeleteItem = { clock: number; len: number };

/** What a piece spends besides its structs: its counts, and each client's id and first clock. */
const PIECE_OVERHEAD = 16;
const RUN_OVERHEAD = 16;
/** A delete-set entry is two varints. */
const DELETE_ITEM_BYTES = 10;

/**
 * A Yjs update (v1) cut into updates of at most `maxBytes` each that,
 * applied in any order, make the same document: its structs in clock order,
 * an item longer than the room left cut in two as Yjs itself cuts items
 * (the right part's origin is the left part's last character), then its
 * delete set. Stored in order, a prefix of the pieces is a prefix of each
 * client's edits, so a writer cut off midway sends the rest on its next
 * sync. A single indivisible struct (one embed, one binary) larger than
 * `maxBytes` stays a piece alone: the caller decides whether to take it.
 */
export function splitUpdate(update: Uint8Array, maxBytes: number): Uint8Array[] {
  if (update.length <= maxBytes) return [update];
  const { structs, ds } = Y.decodeUpdate(update);
  const pieces: Uint8Array[] = [];
  let piece = new Piece();
  const flush = () => {
    if (!piece.empty) pieces.push(piece.encode(new Map()));
    piece = new Piece();
  };
  for (const read of structs) {
    if (read instanceof Y.Skip) continue;
    let s: Struct = read as Struct;
    for (;;) {
      const cost = piece.runCost(s);
      const room = maxBytes - piece.bytes - cost;
      const size = sizeWithin(s, room);
      if (size !== undefined) {
        piece.add(s, size + cost);
        break;
      }
      const cut = cutToFit(s, room);
      if (cut) {
        piece.add(cut[0], room);
        s = cut[1];
        flush();
      } else if (piece.empty) {
        piece.add(s, room);
        flush();
        break;
      } else {
        flush();
      }
    }
  }
  // The delete set goes last, in the last piece when it fits, else in pieces of its own.
  let deletes = new Map<number, DeleteItem[]>();
  let deleteBytes = 0;
  for (const [client, items] of [...(ds.clients as Map<number, DeleteItem[]>)].sort((a, b) => b[0] - a[0])) {
    for (const item of items) {
      if (piece.bytes + deleteBytes + DELETE_ITEM_BYTES + RUN_OVERHEAD > maxBytes && (deleteBytes > 0 || !piece.empty)) {
        pieces.push(piece.encode(deletes));
        piece = new Piece();
        deletes = new Map();
        deleteBytes = 0;
      }
      const list = deletes.get(client) ?? [];
      if (list.length === 0) {
        deletes.set(client, list);
        deleteBytes += RUN_OVERHEAD;
      }
      list.push(item);
      deleteBytes += DELETE_ITEM_BYTES;
    }
  }
  if (!piece.empty || deletes.size > 0) pieces.push(piece.encode(deletes));
  return pieces;
}

/** One update being filled: each client's structs, contiguous from its first clock. */
class Piece {
  readonly runs = new Map<number, Struct[]>();
  bytes = PIECE_OVERHEAD;

  get empty(): boolean {
    return this.runs.size === 0;
  }

  /** What adding a struct of this client costs besides the struct: a new run, or a skip over a gap. */
  runCost(s: Struct): number {
    const run = this.runs.get(s.id.client);
    if (!run) return RUN_OVERHEAD;
    return endOf(run.at(-1)!) === s.id.clock ? 0 : RUN_OVERHEAD;
  }

  add(s: Struct, size: number): void {
    const run = this.runs.get(s.id.client);
    if (!run) this.runs.set(s.id.client, [s]);
    else {
      const end = endOf(run.at(-1)!);
      // A gap in a client's clocks (the update itself had one) is written as a skip, as Yjs writes it.
      if (end < s.id.clock) run.push(new Y.Skip(Y.createID(s.id.client, end), s.id.clock - end) as unknown as Struct);
      run.push(s);
    }
    this.bytes += size;
  }

  encode(deletes: Map<number, DeleteItem[]>): Uint8Array {
    const encoder = new Y.UpdateEncoderV1();
    encoding.writeVarUint(encoder.restEncoder, this.runs.size);
    for (const [client, run] of this.runs) {
      encoding.writeVarUint(encoder.restEncoder, run.length);
      encoder.writeClient(client);
      encoding.writeVarUint(encoder.restEncoder, run[0]!.id.clock);
      for (const s of run) s.write(encoder, 0);
    }
    encoding.writeVarUint(encoder.restEncoder, deletes.size);
    for (const [client, items] of deletes) {
      encoder.resetDsCurVal();
      encoding.writeVarUint(encoder.restEncoder, client);
      encoding.writeVarUint(encoder.restEncoder, items.length);
      for (const item of items) {
        encoder.writeDsClock(item.clock);
        encoder.writeDsLen(item.len);
      }
    }
    return encoder.toUint8Array();
  }
}

function endOf(s: Struct): number {
  return s.id.clock + s.length;
}

function sizeOf(s: Struct): number {
  const encoder = new Y.UpdateEncoderV1();
  s.write(encoder, 0);
  return encoder.toUint8Array().length;
}

/**
 * The struct's encoded size if it is at most `limit`, else undefined. A text
 * is measured only as far as the limit, so cutting a long one costs its
 * length once, not once per piece.
 */
function sizeWithin(s: Struct, limit: number): number | undefined {
  if (s instanceof Y.Item && s.content instanceof Y.ContentString) {
    const head = headOf(s);
    const text = utf8Prefix(s.content.str, limit - head);
    return text.chars === s.content.str.length ? head + text.bytes : undefined;
  }
  const size = sizeOf(s);
  return size <= limit ? size : undefined;
}

/** What a text item encodes to besides its text's bytes, the text's length prefix at its longest included. */
function headOf(s: Y.Item): number {
  return sizeOf(new Y.Item(s.id, null, s.origin, null, s.rightOrigin, s.parent, s.parentSub, new Y.ContentString(''))) + 4;
}

/** The longest start of `str` within `budget` bytes of UTF-8, never ending inside a surrogate pair. */
function utf8Prefix(str: string, budget: number): { chars: number; bytes: number } {
  let chars = 0;
  let bytes = 0;
  while (chars < str.length) {
    const code = str.charCodeAt(chars);
    const pair = code >= 0xd800 && code <= 0xdbff && chars + 1 < str.length;
    const size = code < 0x80 ? 1 : code < 0x800 ? 2 : pair ? 4 : 3;
    if (bytes + size > budget) break;
    bytes += size;
    chars += pair ? 2 : 1;
  }
  return { chars, bytes };
}

/** The struct cut in two, the left part at most `room` bytes, or undefined when no cut fits. */
function cutToFit(s: Struct, room: number): [Struct, Struct] | undefined {
  if (s.length < 2 || room <= 0) return undefined;
  if (s instanceof Y.Item && !isDivisible(s.content)) return undefined;
  if (s instanceof Y.Item && s.content instanceof Y.ContentString) {
    const at = utf8Prefix(s.content.str, room - headOf(s)).chars;
    return at >= 1 && at < s.length ? cutAt(s, at) : undefined;
  }
  let at = Math.min(s.length - 1, Math.floor((s.length * room) / sizeOf(s)));
  while (at >= 1) {
    const cut = cutAt(s, at);
    if (cut && sizeOf(cut[0]) <= room) return cut;
    at = Math.floor(at / 2);
  }
  return undefined;
}

function isDivisible(content: Y.Item['content']): boolean {
  return content instanceof Y.ContentString || content instanceof Y.ContentAny || content instanceof Y.ContentJSON || content instanceof Y.ContentDeleted;
}

function cutAt(s: Struct, at: number): [Struct, Struct] | undefined {
  const { client, clock } = s.id;
  if (s instanceof Y.GC) return [new Y.GC(s.id, at), new Y.GC(Y.createID(client, clock + at), s.length - at)];
  // Yjs replaces a surrogate pair cut in two with U+FFFD: cut before it instead.
  if (s.content instanceof Y.ContentString) {
    const code = s.content.str.charCodeAt(at - 1);
    if (code >= 0xd800 && code <= 0xdbff) at -= 1;
    if (at < 1) return undefined;
  }
  const left = s.content.copy();
  const right = left.splice(at);
  return [
    new Y.Item(s.id, null, s.origin, null, s.rightOrigin, s.parent, s.parentSub, left),
    new Y.Item(Y.createID(client, clock + at), null, Y.createID(client, clock + at - 1), null, s.rightOrigin, s.parent, s.parentSub, right),
  ];
}
