/**
 * What every load message carries, whatever server relays it:
 * `{"r":<run>,"i":<index in the run>,"t":<publish time, ms>}`. Clients find
 * it in any frame (a Pulse message, a Socket.IO packet, an SSE event) by
 * scanning for `"r":`, so no client spends its CPU on JSON it does not need.
 */
export interface Probe {
  r: number;
  i: number;
  t: number;
}

/** Milliseconds on a clock shared by the processes of one machine, with sub-millisecond resolution. */
export function clockMs(): number {
  return performance.timeOrigin + performance.now();
}

export function probePayload(p: Probe): string {
  return `{"r":${p.r},"i":${p.i},"t":${p.t}}`;
}

export function readProbe(s: string): Probe | undefined {
  const at = s.indexOf('"r":');
  if (at < 0) return undefined;
  const r = readNumber(s, at + 4);
  const i = readNumber(s, s.indexOf('"i":', at) + 4);
  const t = readNumber(s, s.indexOf('"t":', at) + 4);
  if (Number.isNaN(r) || Number.isNaN(i) || Number.isNaN(t)) return undefined;
  return { r, i, t };
}

function readNumber(s: string, from: number): number {
  let end = from;
  while (end < s.length && '0123456789.-e+'.includes(s[end]!)) end++;
  return end > from ? Number(s.slice(from, end)) : Number.NaN;
}
