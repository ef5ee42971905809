import { describe, expect, it } from 'vitest';
import { decodePanel, encodePanel, readLayout, writeLayout, type PanelSpec } from './layout.js';

describe('the layout in the URL', () => {
  it.each<PanelSpec>([
    { span: '5m', series: ['cpu.usage,host=web1', 'cpu.usage'] },
    { span: '7d', series: [] },
    { span: '1h', series: ['a-b_c.d'], zoom: { from: 1_700_000_000_000, to: 1_700_000_600_000 } },
  ])('reads back what it wrote: %j', (p) => {
    expect(decodePanel(encodePanel(p))).toEqual(p);
  });

  it('keeps other parameters and the order of panels', () => {
    const q = writeLayout(new URLSearchParams('transport=sse&panel=1m~x'), [
      { span: '1h', series: ['a'] },
      { span: '6h', series: ['b', 'c'] },
    ]);
    const params = new URLSearchParams(q);
    expect(params.get('transport')).toBe('sse');
    expect(readLayout(params).map((p) => p.series)).toEqual([['a'], ['b', 'c']]);
  });

  it.each(['', 'x', '2m~a', '5m', '5m@10-5~a', '5m@a-b~a', '5m@1-2-3~a', `5m@${'9'.repeat(20)}-1~a`])('refuses %j', (text) => {
    expect(decodePanel(text)).toBeUndefined();
  });

  it('drops series that cannot be names, and repeats', () => {
    expect(decodePanel('5m~ok!<script>!ok!!also.ok')).toEqual({ span: '5m', series: ['ok', 'also.ok'] });
  });
});
