import { describe, expect, it } from 'vitest';
import { decodeLineProtocol } from './line-protocol.js';
import { samplesOfPoints } from './line-samples.js';

const at = 1_700_000_000_000n * 1_000_000n;
const samplesOf = (text: string) => samplesOfPoints(decodeLineProtocol(text, { defaultTimeNs: at }).points);

describe('samplesOfPoints', () => {
  it('makes one sample per numeric field, named <measurement>.<field> with the tags sorted', () => {
    const got = samplesOf('cpu,zone=eu,host=a usage=1.5,procs=3i,big=18446744073709551615u,up=F 1700000000123000000');
    expect(got.samples).toEqual([
      { series: 'cpu.usage,host=a,zone=eu', value: 1.5, ts: 1_700_000_000_123 },
      { series: 'cpu.procs,host=a,zone=eu', value: 3, ts: 1_700_000_000_123 },
      { series: 'cpu.big,host=a,zone=eu', value: 18446744073709551615, ts: 1_700_000_000_123 },
      { series: 'cpu.up,host=a,zone=eu', value: 0, ts: 1_700_000_000_123 },
    ]);
    expect(got).toMatchObject({ acceptedLines: 1, failed: [], skipped: [] });
  });

  it('skips string fields with a reason, and fails a line left with none', () => {
    const got = samplesOf('log,app=x msg="hello",level=3i\nlog msg="only text"');
    expect(got.samples.map((s) => s.series)).toEqual(['log.level,app=x']);
    expect(got.skipped).toEqual([{ line: 1, field: 'msg', reason: 'field msg is a string, not a number' }]);
    expect(got.failed).toEqual([{ line: 2, reason: 'field msg is a string, not a number' }]);
  });

  it('refuses names a series cannot carry, and times before 1970', () => {
    const got = samplesOf('disk,path=/var used=1\nok v=1 -5');
    expect(got.samples).toEqual([]);
    expect(got.failed.map((f) => f.line)).toEqual([1, 2]);
    expect(got.failed[0]!.reason).toContain('[A-Za-z0-9_.-]');
    expect(got.failed[1]!.reason).toContain('1970');
  });
});
