import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../config.js';
import { decodeLineProtocol, parseFloat64, type FieldValue, type LinePoint, type Precision } from './line-protocol.js';

/** InfluxData's corpus (../shared/conformance/README.md): what the reference decoder makes of 6,615 inputs. */
const CORPUS = resolve(PROJECT_ROOT, '../shared/conformance/influx-line-protocol-corpus.json');

type Bytes = string | { binary: string };
interface CorpusPoint {
  name: Bytes;
  tags: Array<{ key: Bytes; value: Bytes }>;
  fields: Array<{ key: Bytes; value: Record<string, unknown> }>;
  time: string;
}
interface CorpusCase {
  input: { key: string; text: Bytes; defaultTime: string; precision: string };
  output: { result?: CorpusPoint[]; error?: string };
}

/** The corpus with its 64-bit integers (times, int and uint fields) kept exact: JSON numbers would round them. */
function readCorpus(): CorpusCase[] {
  const text = readFileSync(CORPUS, 'utf8').replace(/"(int|uint|time|defaultTime)": (-?\d+)/g, '"$1": "$2"');
  return Object.values((JSON.parse(text) as { decode: Record<string, CorpusCase> }).decode);
}

const PRECISIONS: Record<string, Precision> = { '1ns': 'ns', '1µs': 'us', '1ms': 'ms', '1s': 's' };
const bytesOf = (b: Bytes) => (typeof b === 'string' ? Buffer.from(b, 'utf8') : Buffer.from(b.binary, 'base64'));
const textOf = (b: Bytes) => bytesOf(b).toString('utf8');

function expectedValue(v: Record<string, unknown>): FieldValue {
  if ('float' in v) return { kind: 'float', value: v.float as number };
  if ('int' in v) return { kind: 'int', value: BigInt(v.int as string) };
  if ('uint' in v) return { kind: 'uint', value: BigInt(v.uint as string) };
  if ('bool' in v) return { kind: 'bool', value: v.bool as boolean };
  return { kind: 'string', value: 'string' in v ? (v.string as string) : textOf({ binary: v.binary as string }) };
}

const comparable = (p: Omit<LinePoint, 'line'>) => JSON.stringify(p, (_k, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v));

describe('the line-protocol decoder against InfluxData\'s corpus', () => {
  const cases = readCorpus();

  it('has every decode case of the corpus to run', () => {
    expect(cases).toHaveLength(6615);
  });

  it('finds the points the reference decoder finds, and an error wherever it finds one', () => {
    const differences: string[] = [];
    for (const c of cases) {
      const input = bytesOf(c.input.text);
      const got = decodeLineProtocol(input, { precision: PRECISIONS[c.input.precision], defaultTimeNs: BigInt(c.input.defaultTime) });
      const show = JSON.stringify(input.toString('latin1'));
      if (c.output.error !== undefined) {
        if (got.errors.length === 0) differences.push(`${c.input.key} ${show}: accepted, the reference says ${c.output.error}`);
        continue;
      }
      if (got.errors.length > 0) {
        differences.push(`${c.input.key} ${show}: refused (${got.errors[0]!.message}), the reference accepts it`);
        continue;
      }
      const want = c.output.result!.map((p) =>
        comparable({
          measurement: textOf(p.name),
          tags: p.tags.map((t) => [textOf(t.key), textOf(t.value)]),
          fields: p.fields.map((f) => [textOf(f.key), expectedValue(f.value)]),
          timeNs: BigInt(p.time),
        }),
      );
      const have = got.points.map(({ line: _line, ...p }) => comparable(p));
      if (JSON.stringify(have) !== JSON.stringify(want)) differences.push(`${c.input.key} ${show}: got ${have.join(' ')}, want ${want.join(' ')}`);
    }
    expect(differences.slice(0, 20)).toEqual([]);
  });
});

describe('decodeLineProtocol', () => {
  const at = 1_700_000_000_123_456_789n;

  it('reports each bad line with its number and column, and keeps the good ones', () => {
    const got = decodeLineProtocol('cpu,host=a usage=1\nbad line\n# a comment\nmem free=2i 1700000000\n', { precision: 's', defaultTimeNs: at });
    // A point without a timestamp gets the default time, truncated to the precision.
    expect(got.points.map((p) => [p.measurement, p.line, p.timeNs])).toEqual([
      ['cpu', 1, 1_700_000_000_000_000_000n],
      ['mem', 4, 1_700_000_000_000_000_000n],
    ]);
    expect(got.errors).toEqual([{ line: 2, column: 9, message: expect.stringContaining("want '=' after field key") }]);
  });

  it('unescapes measurements, tag keys and values, field keys and strings', () => {
    const got = decodeLineProtocol('my\\ cpu,the\\ host=a\\,b\\=c field\\=key="say \\"hi\\" \\\\o/ \\n"', { defaultTimeNs: at });
    expect(got.points[0]).toMatchObject({ measurement: 'my cpu', tags: [['the host', 'a,b=c']], fields: [['field=key', { kind: 'string', value: 'say "hi" \\o/ \\n' }]] });
  });

  it('counts the lines a string field spans', () => {
    const got = decodeLineProtocol('a s="one\ntwo"\nb x=1\nc x=\n', { defaultTimeNs: at });
    expect(got.points.map((p) => p.line)).toEqual([1, 3]);
    expect(got.errors.map((e) => e.line)).toEqual([4]);
  });

  it.each([
    ['1e3', 1000],
    ['-.5', -0.5],
    ['1.', 1],
    ['0x1p4', 16],
    ['0x1.8p1', 3],
    ['0x_1p0', 1],
    ['1_000', 1000],
    ['1e400', Infinity],
  ])('reads the float %s as Go does', (text, value) => {
    expect(parseFloat64(text)).toBe(value);
  });

  it.each(['', '-', '.', 'e5', '1e', '0x1', '0x1p', '1__0', '_1', '1_', 'inf', 'NaN', '1.2.3'])('refuses the float %j', (text) => {
    expect(parseFloat64(text)).toBeUndefined();
  });
});
