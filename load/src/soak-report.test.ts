import { describe, expect, it } from 'vitest';
import { keptSoakSection, soakSection } from './soak-report.js';
import type { SoakResult } from './soak.js';

const result: SoakResult = {
  scenario: 'soak',
  minutes: 2,
  viewers: 30,
  players: 2,
  rate: 10,
  killEvery: 60,
  published: 1200,
  republished: 3,
  lost: 0,
  duplicated: 0,
  worst: [],
  faults: [{ at: 60, kind: 'kill', member: 'hub-1', downSeconds: 5.5 }],
  reconnectMs: { count: 10, p50: 600, p99: 4000, max: 4100 },
  latencyMs: { p50: 12, p99: 3000, max: 5000 },
  inputs: { sent: 100, acked: 90, refused: 10 },
  metricSamples: 500,
  memory: { 'hub-1': [[0, 100], [60, 120], [120, 90]] },
};

describe('the soak section of the report', () => {
  it('says what was lost, the faults and memory by minute, and survives the bench rewriting the rest', () => {
    const section = soakSection(result, new Date('2026-12-01T00:00:00Z'), 'npm run load -- soak');
    expect(section).toContain('**lost** (events some viewer never got) | **0**');
    expect(section).toContain('hub-1 at 60 s');
    expect(section).toContain('| hub-1 | 100 | 120 | 90 | 120 |');
    const report = `# Benchmarks\n\nfigures\n\n${section}\n`;
    expect(keptSoakSection(report)).toBe(section);
    expect(keptSoakSection('# Benchmarks\n')).toBe('');
  });
});
