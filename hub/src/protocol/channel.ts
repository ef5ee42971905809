import { fail, ok, type Result } from './errors.js';

/**
 * The contract's kinds, and extensions: `metrics10s` and `metrics1m`, the
 * longer rollup windows of a series; `page`, a presence-only channel for "who
 * is watching this page"; `status`, whether one person is online, watched
 * without joining their channels; `ops`, the hubs' own figures; and `doc`,
 * a shared Yjs document.
 */
export const CHANNEL_KINDS = ['metrics', 'metrics10s', 'metrics1m', 'room', 'inbox', 'page', 'status', 'ops', 'doc'] as const;
export type ChannelKind = (typeof CHANNEL_KINDS)[number];

export interface ChannelName {
  kind: ChannelKind;
  name: string;
  /** `<kind>:<name>`, as it travels on the wire. */
  ch: string;
}

const NAME = /^[A-Za-z0-9_.,=-]{1,200}$/;

export function parseChannel(ch: unknown): Result<ChannelName> {
  if (typeof ch !== 'string') return fail('bad_request', 'ch must be a string like "metrics:cpu.usage"');
  const colon = ch.indexOf(':');
  if (colon < 0) return fail('bad_request', `channel "${clip(ch)}" has no kind: expected <kind>:<name>`);
  const kind = ch.slice(0, colon);
  const name = ch.slice(colon + 1);
  if (!(CHANNEL_KINDS as readonly string[]).includes(kind)) {
    return fail('bad_request', `unknown channel kind "${clip(kind)}": expected one of ${CHANNEL_KINDS.join(', ')}`);
  }
  if (!NAME.test(name)) {
    return fail('bad_request', `channel name "${clip(name)}" must match [A-Za-z0-9_.,=-]{1,200}`);
  }
  return ok({ kind: kind as ChannelKind, name, ch });
}

function clip(s: string): string {
  return s.length > 60 ? `${s.slice(0, 60)}…` : s;
}
