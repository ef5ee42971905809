import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../config.js';

/**
 * Facts of the contract have one home that everything imports: a copy drifts
 * (the SSE client once listed the frame types by hand and missed one). This
 * reads the code of the hub, the dashboard and the load tool, comments left
 * out, for copies of the facts that were copied before.
 */
const ROOTS = ['hub/src', 'dashboard/src', 'load/src'];

function sources(dir: string): string[] {
  return readdirSync(join(PROJECT_ROOT, dir), { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name);
    if (e.isDirectory()) return sources(path);
    return /\.(ts|svelte)$/.test(e.name) && !e.name.endsWith('.test.ts') ? [path] : [];
  });
}

/** Code lines only: a comment may name a subject or a limit to explain it. */
function codeLines(path: string): Array<{ at: string; line: string }> {
  return readFileSync(join(PROJECT_ROOT, path), 'utf8')
    .split('\n')
    .map((line, i) => ({ at: `${relative(PROJECT_ROOT, join(PROJECT_ROOT, path))}:${i + 1}`, line: line.replace(/\/\/.*$/, '') }))
    .filter(({ line }) => !/^\s*(\*|\/\*\*|<!--)/.test(line));
}

const COPIES: Array<{ fact: string; home: string[]; pattern: RegExp }> = [
  { fact: 'NATS subjects', home: ['hub/src/protocol/subjects.ts', 'hub/src/bus/subjects.ts'], pattern: /['"`](metrics|rooms|presence|ingest|pulse\.(rollups|typing|presence|roompresence))\.[\w$*{>]/ },
  { fact: 'the anonymous id prefix', home: ['hub/src/protocol/frames.ts'], pattern: /['"`]anon-/ },
  { fact: 'the chat length limit', home: ['hub/src/protocol/limits.ts'], pattern: /(CHARS\s*=\s*500|maxlength=\{?['"]?500)/ },
  { fact: 'the ended-session status', home: ['hub/src/protocol/errors.ts'], pattern: /\b410\b/ },
  { fact: 'the server frame types', home: ['hub/src/protocol/frames.ts'], pattern: /\[\s*'welcome',/ },
];

describe('one home for each fact of the contract', () => {
  const files = ROOTS.flatMap(sources);

  it.each(COPIES)('$fact lives only in $home', ({ home, pattern }) => {
    const copies = files.filter((f) => !home.includes(f)).flatMap((f) => codeLines(f).filter(({ line }) => pattern.test(line)));
    expect(copies).toEqual([]);
  });
});
