import { describe, expect, it } from 'vitest';
import type { Measurement, Step } from './measure.js';
import { summarize } from './report.js';
import type { CapacityResult } from './scenarios.js';

const step = (rate: number, p99: number, ok = true, extra: Partial<Step> = {}): Step => ({
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
  cpuUsPerDelivery: 5,
  ...(!ok && { why: `p99 ${p99} ms` }),
  ...extra,
});

function run(label: string, steps: Step[], memPerConnKB: number, heapPerConnKB: number, fixed?: Step): Measurement {
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
    fixed,
  };
}

describe('summarize', () => {
  it('takes the median p99 ratio over the rates both sustained, counting a pass on retry', () => {
    const hub = run('hub ws', [step(4, 80), step(8, 90), step(16, 150, false), step(16, 99, true, { retry: true }), step(32, 900, false)], 9, 3.6);
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

  it('gives the median of repeated runs with the spread of their pairwise ratios', () => {
    const fixed = (cpuUsPerDelivery: number) => step(20, 10, true, { cpuUsPerDelivery, deliveriesPerSec: 20_000 });
    const hubs = [run('hub ws', [step(80, 50)], 9, 3, fixed(14)), run('hub ws', [step(100, 50)], 9, 3, fixed(16)), run('hub ws', [step(90, 50)], 9, 3, fixed(15))];
    const wss = [run('bare ws', [step(100, 50)], 7, 2, fixed(15)), run('bare ws', [step(90, 50)], 7, 2, fixed(16)), run('bare ws', [step(100, 50)], 7, 2, fixed(15))];
    const { headline } = summarize([...hubs, ...wss], 1000);
    expect(headline.hub_vs_ws_throughput).toBe(0.9);
    expect(headline.spread.hub_vs_ws_throughput).toEqual([0.8, 1.11]);
    expect(headline.hub_vs_ws_cpu_per_delivery).toBe(1);
    expect(headline.spread.hub_vs_ws_cpu_per_delivery).toEqual([0.93, 1]);
  });

  // A step passes only when nothing was lost, so counting passing steps alone could never show a loss.
  it('counts lost and duplicated messages and failed tries over every try and the capacity run', () => {
    const hub = run('hub ws', [step(4, 80), step(8, 300, false, { lost: 3 }), step(8, 90, true, { retry: true })], 9, 3, step(20, 10, true, { duplicated: 2 }));
    const capacity = { viewers: { lost: 5, duplicated: 1 }, publishers: { lost: 7 } } as unknown as CapacityResult;
    const { headline } = summarize([hub], 1000, capacity);
    expect(headline.lost).toBe(3 + 5 + 7);
    expect(headline.duplicated).toBe(2 + 1);
    expect(headline.failed_tries).toBe(1);
  });

  it('says when a peer has no sustained rate because of its fan-out floor', () => {
    const sio = run('socket.io', [step(4, 140, false), step(4, 150, false, { retry: true }), step(2, 130, false), step(1, 120, false)], 16, 10);
    const { headline } = summarize([run('hub ws', [step(8, 50)], 9, 3), sio], 1000);
    expect(headline.hub_vs_socketio_throughput).toBeNull();
    expect(headline.notes).toEqual(['socket.io ×1,000: no rate passed by its floor: even at 1 msg/s one message took p99 120 ms to reach every client']);
  });
});
