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

/** The largest message a `doc:<name>` channel carries: the hub stores a larger edit as several updates. */
export const DOC_UPDATE_MAX_BYTES = 256 * 1024;

/**
 * The largest edit (one Yjs update) the hub takes, over y-websocket or as
 * several frames' worth: a provider's first sync of a document made offline
 * is one update, and refusing it would only make the provider send it again.
 */
export const DOC_EDIT_MAX_BYTES = 16 * 1024 * 1024;

/** Bytes a y-websocket connection may send per second after one edit of DOC_EDIT_MAX_BYTES: a whole document once, then typing. */
export const DOC_BYTES_PER_SECOND = 1024 * 1024;
