/**
 * Whether parsed JSON nests at most `max` levels. JSON.parse reads any depth,
 * but whatever walks the value next recursively (JSON.stringify, a merge
 * patch) overflows the stack on a hostile one. Walks without recursion, so
 * this check cannot overflow either.
 */
export function nestsWithin(value: unknown, max: number): boolean {
  const stack: Array<[unknown, number]> = [[value, 1]];
  while (stack.length > 0) {
    const [v, depth] = stack.pop()!;
    if (typeof v !== 'object' || v === null) continue;
    if (depth > max) return false;
    for (const child of Array.isArray(v) ? v : Object.values(v)) if (typeof child === 'object' && child !== null) stack.push([child, depth + 1]);
  }
  return true;
}
