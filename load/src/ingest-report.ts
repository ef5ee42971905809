import type { IngestResult, IngestStep } from './ingest.js';

/** The samples per second the contract's ingest aims at, on one core of one hub. */
export const INGEST_TARGET_PER_SEC = 200_000;

export interface IngestHeadline {
  /** The highest rate one hub process sustained with exact counts; `at_least` when no tried rate failed. */
  one_hub_samples_per_sec: number | null;
  one_hub_at_least: boolean;
  two_hubs_samples_per_sec: number | null;
  /** Hub CPU per sample at the fixed rate: all hub processes together, and the busiest hub per sample it rolled up. */
  one_hub_cpu_us_per_sample: number | null;
  two_hubs_cpu_us_per_sample: number | null;
  two_hubs_busiest_cpu_us_per_own_sample: number | null;
  /** Every step of every run: samples sent, counted, and windows stored twice. */
  published: number;
  counted: number;
  stored_twice: number;
}

const round2 = (x: number) => Math.round(x * 100) / 100;
const totalCpu = (s: IngestStep) => s.hubCpuSeconds.reduce((a, b) => a + b, 0);
const usPerSample = (seconds: number, samples: number) => (samples > 0 ? round2((seconds / samples) * 1e6) : null);
const fmt = (n: number) => n.toLocaleString('en');

export function ingestHeadline(runs: IngestResult[]): IngestHeadline {
  const one = runs.find((r) => r.hubs === 1);
  const two = runs.find((r) => r.hubs === 2);
  const steps = runs.flatMap((r) => [r.fixed, ...r.steps]);
  const busiest = two && Math.max(...two.fixed.hubCpuSeconds.map((cpu, i) => (two.fixed.hubSamples[i]! > 0 ? cpu / two.fixed.hubSamples[i]! : 0)));
  return {
    one_hub_samples_per_sec: one?.best?.rate ?? null,
    one_hub_at_least: one !== undefined && one.steps.every((s) => s.ok),
    two_hubs_samples_per_sec: two?.best?.rate ?? null,
    one_hub_cpu_us_per_sample: one ? usPerSample(totalCpu(one.fixed), one.fixed.published) : null,
    two_hubs_cpu_us_per_sample: two ? usPerSample(totalCpu(two.fixed), two.fixed.published) : null,
    two_hubs_busiest_cpu_us_per_own_sample: busiest === undefined ? null : round2(busiest * 1e6),
    published: steps.reduce((a, s) => a + s.published, 0),
    counted: steps.reduce((a, s) => a + s.counted, 0),
    stored_twice: steps.reduce((a, s) => a + s.duplicates, 0),
  };
}

/** Each hub's share of one core during the fixed step, as "12% + 11%". */
function coreShares(run: IngestResult | undefined): string {
  if (!run) return '–';
  const seconds = run.fixed.published / run.fixed.sentPerSec;
  return run.fixed.hubCpuSeconds.map((cpu) => `${Math.round((cpu / seconds) * 100)}%`).join(' + ');
}

/** The report's section on ingest. */
export function ingestSection(runs: IngestResult[]): string {
  if (runs.length === 0) return '';
  const h = ingestHeadline(runs);
  const rows = ['| hub processes | samples/s asked | sent | counted in stored rollups | stored twice | last window stored after | hub CPU µs/sample (each hub) | nats-server µs/sample | result |', '| ---: | ---: | ---: | ---: | ---: | ---: | --- | ---: | --- |'];
  for (const r of runs) {
    for (const s of [r.fixed, ...r.steps]) {
      const perHub = s.hubCpuSeconds.map((cpu) => usPerSample(cpu, s.published) ?? '–').join(' + ');
      rows.push(
        `| ${r.hubs} | ${fmt(s.rate)}${s === r.fixed ? ' (fixed)' : ''} | ${fmt(s.sentPerSec)}/s | ${fmt(s.counted)} of ${fmt(s.published)} | ${s.duplicates} | ${s.lagMs === null ? '–' : `${fmt(s.lagMs)} ms`} | ${perHub} | ${usPerSample(s.natsCpuSeconds, s.published) ?? '–'} | ${s.ok ? 'sustained' : 'not sustained'} |`,
      );
    }
  }
  const batch = runs[0]!.batch;
  const one = h.one_hub_samples_per_sec;
  const verdict =
    one === null
      ? 'One hub sustained none of the rates tried.'
      : `One hub process sustained ${h.one_hub_at_least ? 'at least ' : ''}${fmt(one)} samples/s with every sample counted (target ${fmt(INGEST_TARGET_PER_SEC)} on one core)${h.one_hub_at_least ? ', the highest rate tried' : ''}, using ${h.one_hub_cpu_us_per_sample} µs of hub CPU per sample at the fixed rate, ${round2((INGEST_TARGET_PER_SEC * (h.one_hub_cpu_us_per_sample ?? 0)) / 1e6)} of one core at ${fmt(INGEST_TARGET_PER_SEC)}/s.`;
  return `## Ingest and rollups

Services publish batches of ${batch} samples (a JSON array of numbers) on \`metrics.<name>\` over 64 names; the PULSE_SAMPLES stream captures them and the hubs roll them up, each hub the partitions it holds. For each rate, a fresh set of names: the samples counted in the stored rollups of their untagged series must equal the samples sent, no window may be stored twice, and the last window must be stored within 3 s of the last sample, or the rate is not sustained. CPU is read from /proc from the step's start until the hubs have counted every sample; it includes what a hub spends on its leases and ticks, which weighs more at low rates. The fixed step (${fmt(runs[0]!.fixed.rate)} samples/s) is the same for every configuration.

${verdict} Every step: ${fmt(h.counted)} of ${fmt(h.published)} samples counted, ${h.stored_twice} windows stored twice.

With two hub processes each parses only the samples of its own half of the partitions: at the fixed rate each used ${coreShares(runs.find((r) => r.hubs === 2))} of one core against ${coreShares(runs.find((r) => r.hubs === 1))} for one hub alone (the busiest ${h.two_hubs_busiest_cpu_us_per_own_sample ?? '–'} µs per sample it rolled up). Each still receives the whole stream from nats-server: a hub skips a sample of a partition it does not hold by a hash of the subject, without parsing it, so two hubs together spend ${h.two_hubs_cpu_us_per_sample ?? '–'} µs per sample against one hub's ${h.one_hub_cpu_us_per_sample ?? '–'}. nats-server 2.9 (Debian's) cannot give a consumer a hash partition of the subjects, so that reading is the part that does not shrink as hubs are added; batching keeps it per message, not per sample. Here the hubs, nats-server and the publisher share 2 cores, so the two-hub rates measure the machine, not the design.

${rows.join('\n')}
`;
}
