import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { metricsSubject } from '@pulse/hub/protocol';
import { lintMetrics, startPrometheus, TestPollClient, TestSseClient, TestWsClient, type TestPrometheus } from '@pulse/hub/testing';
import { eventually, uniqueName, useSystem } from './helpers.js';

const sys = useSystem({ beforeAll, afterAll });
const cleanups: Array<() => Promise<unknown>> = [];

afterAll(async () => {
  for (const c of cleanups.reverse()) await c().catch(() => undefined);
});

/** What /metrics must cover (issue 14), with each family's Prometheus type. */
const FAMILIES: Record<string, 'counter' | 'gauge' | 'histogram'> = {
  pulse_sessions: 'gauge',
  pulse_frames_received_total: 'counter',
  pulse_received_bytes_total: 'counter',
  pulse_frames_sent_total: 'counter',
  pulse_sent_bytes_total: 'counter',
  pulse_subscribe_catch_up_seconds: 'histogram',
  pulse_replayed_messages_total: 'counter',
  pulse_replays: 'gauge',
  pulse_session_queued_bytes: 'gauge',
  pulse_sessions_behind: 'gauge',
  pulse_coalesced_total: 'counter',
  pulse_samples_dropped_total: 'counter',
  pulse_limit_hits_total: 'counter',
  pulse_nats_reconnects_total: 'counter',
  pulse_nats_disconnects_total: 'counter',
  pulse_nats_slow_consumers_total: 'counter',
  pulse_live_feed_pending_messages: 'gauge',
  pulse_jetstream_errors_total: 'counter',
  pulse_rollup_partition_owned: 'gauge',
};

describe('/metrics', () => {
  it('covers every figure an operator needs, passes promtool\'s lint, and a real Prometheus scrapes it', async () => {
    // Traffic on every transport, a bad frame and a replay, so the families have samples.
    const series = uniqueName('prom.series');
    const ch = `metrics:${series}`;
    const ws = await TestWsClient.connect(sys.hub.wsUrl);
    cleanups.push(() => ws.close());
    ws.send({ type: 'subscribe', ch });
    await ws.next((f) => f.type === 'subscribed');
    ws.sendRaw('not json');
    await ws.next((f) => f.type === 'error');
    const sse = await TestSseClient.connect(sys.hub.url, [ch]);
    cleanups.push(() => sse.close());
    const poll = await TestPollClient.connect(sys.hub.url, [ch]);
    cleanups.push(() => poll.close());
    sys.service.publish(metricsSubject(series), JSON.stringify({ value: 1 }));
    await ws.next((f) => f.type === 'message', 10_000);

    const text = await (await fetch(`${sys.hub.url}/metrics`)).text();
    expect(lintMetrics(text)).toEqual({ ok: true, findings: '' });
    for (const [name, type] of Object.entries(FAMILIES)) {
      expect(text, name).toContain(`# TYPE ${name} ${type}\n`);
      expect(text, name).toMatch(new RegExp(`^# HELP ${name} \\S`, 'm'));
    }
    expect(text).toMatch(/^pulse_frames_received_total\{transport="ws"\} [1-9]/m);
    expect(text).toMatch(/^pulse_frames_sent_total\{transport="sse"\} [1-9]/m);
    expect(text).toMatch(/^pulse_subscribe_catch_up_seconds_count [1-9]/m);
    expect(text).toMatch(/^pulse_rollup_partition_owned\{partition="\d+"\} 1$/m);

    let prometheus: TestPrometheus | undefined;
    try {
      prometheus = await startPrometheus([new URL(sys.hub.url).host]);
      const up = await eventually(async () => {
        const r = await prometheus!.query('up{job="pulse"}');
        return r[0]?.value[1] === '1' ? r : undefined;
      }, 20_000, 250);
      expect(up).toHaveLength(1);
      const sent = await eventually(async () => (await prometheus!.query('sum(pulse_frames_sent_total)'))[0], 10_000, 250);
      expect(Number(sent.value[1])).toBeGreaterThan(0);
      const sessions = await prometheus.query('sum(pulse_sessions)');
      expect(Number(sessions[0]!.value[1])).toBeGreaterThanOrEqual(3);
    } finally {
      await prometheus?.stop();
    }
  }, 60_000);
});
