import { describe, expect, it } from 'vitest';
import { Stats } from './counters.js';
import { ThrottledLog } from './throttled-log.js';

describe('Stats', () => {
  it('renders counters and gauges in Prometheus text format', () => {
    const s = new Stats();
    s.counter('x_total', 'Things', { kind: 'a' }).inc(2);
    s.counter('x_total', 'Things', { kind: 'a' }).inc();
    s.gauge('y', 'Level', () => [[{ t: 'ws' }, 4]]);
    expect(s.render()).toBe('# HELP x_total Things\n# TYPE x_total counter\nx_total{kind="a"} 3\n# HELP y Level\n# TYPE y gauge\ny{t="ws"} 4\n');
    expect(s.value('x_total', { kind: 'a' })).toBe(3);
    s.counter('x_total', 'Things', { kind: 'b' }).inc(4);
    expect(s.total('x_total')).toBe(7);
    expect(s.total('y')).toBe(4);
  });

  it('renders a counter read at scrape time and a histogram with cumulative buckets', () => {
    const s = new Stats();
    let n = 1;
    s.counterFrom('r_total', 'Read', () => n);
    n = 5;
    const h = s.histogram('d_seconds', 'Time', [0.1, 1], { transport: 'ws' });
    for (const v of [0.05, 0.5, 0.5, 3]) h.observe(v);
    expect(s.render()).toBe(
      [
        '# HELP r_total Read',
        '# TYPE r_total counter',
        'r_total 5',
        '# HELP d_seconds Time',
        '# TYPE d_seconds histogram',
        'd_seconds_bucket{le="0.1",transport="ws"} 1',
        'd_seconds_bucket{le="1",transport="ws"} 3',
        'd_seconds_bucket{le="+Inf",transport="ws"} 4',
        'd_seconds_sum{transport="ws"} 4.05',
        'd_seconds_count{transport="ws"} 4',
        '',
      ].join('\n'),
    );
  });
});

describe('ThrottledLog', () => {
  it('writes a kind once per interval and says how many it held back', () => {
    const lines: string[] = [];
    const log = new ThrottledLog(1000, (l) => lines.push(l));
    log.warn('bad', 'one', 0);
    log.warn('bad', 'two', 500);
    log.warn('bad', 'three', 600);
    log.warn('other', 'x', 700);
    log.warn('bad', 'four', 1000);
    expect(lines).toEqual(['[pulse] bad: one', '[pulse] other: x', '[pulse] bad: four (2 more since the last report)']);
  });
});
