import type { Rollup } from './rollup.js';
import { Sketch } from './sketch.js';

/**
 * One rollup for the windows of `parts`, as if their samples had been rolled
 * up together under `t`: count, sum, min, max and last exactly, quantiles
 * from the merged sketches. Rollups stored before sketches existed have
 * none; with one of them among the parts, the quantiles are the parts'
 * weighted by count, an estimate, and the result has no sketch.
 */
export function mergeRollups(t: number, parts: readonly Rollup[]): Rollup {
  let count = 0;
  let sum = 0;
  let min = Infinity;
  let max = -Infinity;
  let latest = parts[0]!;
  const sketch = new Sketch();
  let sketched = true;
  for (const r of parts) {
    count += r.count;
    sum += r.sum;
    if (r.min < min) min = r.min;
    if (r.max > max) max = r.max;
    if (r.t >= latest.t) latest = r;
    const s = r.sketch && Sketch.fromData(r.sketch);
    if (s?.ok) sketch.merge(s.value);
    else sketched = false;
  }
  const merged = { t, count, sum, min, max, last: latest.last };
  if (!sketched) return { ...merged, p50: weighted(parts, 'p50'), p90: weighted(parts, 'p90'), p99: weighted(parts, 'p99') };
  const q = (p: number) => Math.min(max, Math.max(min, sketch.quantile(p)));
  return { ...merged, p50: q(0.5), p90: q(0.9), p99: q(0.99), sketch: sketch.toData() };
}

function weighted(parts: readonly Rollup[], key: 'p50' | 'p90' | 'p99'): number {
  let total = 0;
  let n = 0;
  for (const r of parts) {
    total += r[key] * r.count;
    n += r.count;
  }
  return total / n;
}
