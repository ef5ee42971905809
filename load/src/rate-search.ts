/** One step of a rate search: a rate, and whether the server kept up with it. */
export interface StepOutcome {
  rate: number;
  ok: boolean;
}

export interface SearchPlan {
  start: number;
  /** Rate multiplier while every step passes. */
  growth: number;
  /** Bisections between the last pass and the first failure. */
  refinements: number;
  /** No rate above this is tried. */
  max: number;
  /** No rate below this is tried when even the start fails. */
  min: number;
}

/**
 * Finds the highest rate a server sustains: grows geometrically until a
 * step fails, then bisects (geometrically) between the last pass and that
 * failure. `step` runs one measurement.
 */
export async function searchRate<S extends StepOutcome>(plan: SearchPlan, step: (rate: number) => Promise<S>): Promise<{ best: S | undefined; steps: S[] }> {
  const steps: S[] = [];
  let best: S | undefined;
  let failed: number | undefined;
  let rate = plan.start;
  while (rate <= plan.max) {
    const s = await step(rate);
    steps.push(s);
    if (!s.ok) {
      failed = rate;
      break;
    }
    best = s;
    rate = round(rate * plan.growth);
  }
  if (!best) {
    for (rate = round(plan.start / 2); rate >= plan.min && !best; rate = round(rate / 2)) {
      const s = await step(rate);
      steps.push(s);
      if (s.ok) best = s;
      else failed = rate;
    }
  }
  for (let i = 0; i < plan.refinements && best && failed !== undefined; i++) {
    const mid = round(Math.sqrt(best.rate * failed));
    if (mid <= best.rate || mid >= failed) break;
    const s = await step(mid);
    steps.push(s);
    if (s.ok) best = s;
    else failed = mid;
  }
  return { best, steps };
}

function round(r: number): number {
  return r >= 10 ? Math.round(r) : Math.round(r * 10) / 10;
}
