import { describe, expect, it } from 'vitest';
import type { Measurement, Step } from './measure.js';
import { summarize } from './report.js';

const step = (rate: number, p99: number, ok = true): Step => ({
  rate,
  ok,
  published: rate,
  deliveriesPerSec: rate * 1000,
  p50: p99 / 2,
  p99,
  p999: p99,
  lost: 0,
  duplicated: 0,
  cpuPct: 50,
  clientCpuPct: 50,
});

function run(label: string, steps: Step[], memPerConnKB: number, heapPerConnKB: number): Measurement {
  const passed = steps.filter((s) => s.ok).sort((a, b) => b.rate - a.rate);
  return {
    config: { label, server: 'hub', target: 'pulse-ws', clients: 1000 },
    connected: 1000,
    connectFailed: 0,
    connectSeconds: 1,
    rssIdleMB: 0,
    rssConnectedMB: 0,
    memPerConnKB,
    heapIdleMB: 0,
    heapConnectedMB: 0,
    heapPerConnKB,
    best: passed[0],
    steps,
  };
}

describe('summarize', () => {
  it('takes the median p99 ratio over the rates both sustained, counting a pass on retry', () => {
    const hub = run('hub ws', [step(4, 80), step(8, 90), step(16, 150, false), step(16, 99), step(32, 900, false)], 9, 3.6);
    const ws = run('bare ws', [step(4, 80), step(8, 100), step(16, 50), step(32, 700, false)], 7, 2.4);
    const sio = run('socket.io', [step(4, 120, false), step(2, 90)], 16, 10);
    const { headline, p99ByRate } = summarize([hub, ws, sio], 1000);
    expect(p99ByRate.ws.map((r) => r.ratio)).toEqual([1, 0.9, 1.98]);
    expect(headline.hub_vs_ws_p99).toBe(1);
    expect(headline.hub_vs_socketio_p99).toBeNull();
    expect(headline.hub_vs_ws_throughput).toBe(1);
    expect(headline.hub_vs_socketio_throughput).toBe(8);
    expect(headline.hub_vs_ws_mem_per_conn).toBe(1.29);
    expect(headline.hub_vs_ws_heap_per_conn).toBe(1.5);
  });
});
