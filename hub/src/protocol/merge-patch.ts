/** JSON values as they travel in room state. */
export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/**
 * RFC 7386 JSON merge patch: objects merge key by key, `null` removes a key,
 * anything else (arrays included) replaces. Returns a new value and leaves
 * both inputs untouched, so a state handed to subscribers never changes under them.
 */
export function mergePatch(target: Json | undefined, patch: Json): Json {
  if (!isObject(patch)) return patch;
  const out: { [key: string]: Json } = isObject(target) ? { ...target } : {};
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete out[key];
    else out[key] = mergePatch(out[key], value);
  }
  return out;
}

function isObject(v: Json | undefined): v is { [key: string]: Json } {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
