import type { Json } from '../protocol/merge-patch.js';

/**
 * The RFC 7386 merge patch that turns `before` into `after`, or undefined when
 * they are equal. Arrays are replaced whole, as merge patch does.
 */
export function diffState(before: Json | undefined, after: Json): Json | undefined {
  if (!isObject(before) || !isObject(after)) return JSON.stringify(before) === JSON.stringify(after) ? undefined : after;
  const patch: { [k: string]: Json } = {};
  for (const key of Object.keys(before)) if (!(key in after)) patch[key] = null;
  for (const [key, value] of Object.entries(after)) {
    const d = diffState(before[key], value);
    if (d !== undefined) patch[key] = d;
  }
  return Object.keys(patch).length > 0 ? patch : undefined;
}

function isObject(v: Json | undefined): v is { [k: string]: Json } {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
