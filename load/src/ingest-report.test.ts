import { describe, expect, it } from 'vitest';
import type { IngestResult, IngestStep } from './ingest.js';
import { ingestHeadline, ingestSection } from './ingest-report.js';

const step = (rate: number, ok: boolean, hubs: number): IngestStep => ({
  rate,
  sentPerSec: rate,
  published: rate * 4,
  counted: ok ? rate * 4 : rate * 4 - 100,
  duplicates: 0,
  lagMs: ok ? 800 : null,
  ok,
  hubCpuSeconds: Array.from({ length: hubs }, () => (rate * 4 * 1e-6) / hubs),
  natsCpuSeconds: 0.1,
  hubSamples: Array.from({ length: hubs }, () => (rate * 4) / hubs),
});

const run = (hubs: number, rates: Array<[number, boolean]>): IngestResult => {
  const steps = rates.map(([r, ok]) => step(r, ok, hubs));
  return { hubs, batch: 100, fixed: step(200_000, true, hubs), steps, best: [...steps].reverse().find((s) => s.ok) };
};

describe('ingestHeadline', () => {
  it('says "at least" when no rate tried failed, and sums every step', () => {
    const h = ingestHeadline([run(1, [[200_000, true], [800_000, true]]), run(2, [[200_000, true], [800_000, false]])]);
    expect(h).toMatchObject({ one_hub_samples_per_sec: 800_000, one_hub_at_least: true, two_hubs_samples_per_sec: 200_000, one_hub_cpu_us_per_sample: 1 });
    expect(h.published - h.counted).toBe(100);
    expect(ingestSection([run(1, [[200_000, true]])])).toContain('at least 200,000 samples/s');
  });

  it('gives no rate when none was sustained', () => {
    expect(ingestHeadline([run(1, [[200_000, false]])])).toMatchObject({ one_hub_samples_per_sec: null, one_hub_at_least: false });
  });
});
