/**
 * The `data` of a `doc:<name>` message, and what a client publishes to one:
 * a Yjs update (v1 encoding), base64, stored; or an awareness update
 * (y-protocols'), base64, relayed and never stored (its messages have no
 * `seq`). Updates are idempotent and commute, so a document is the merge of
 * every update its channel carried.
 */
export interface DocData {
  kind: 'update' | 'awareness';
  update: string;
}

/** One update a client may send: larger edits arrive as several. */
export const DOC_UPDATE_MAX_BYTES = 256 * 1024;
