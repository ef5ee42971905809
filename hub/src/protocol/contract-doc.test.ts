import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../config.js';
import { CHANNEL_KINDS, CLIENT_FRAME_TYPES, ERROR_CODES, SERVER_FRAME_TYPES } from './index.js';

/** docs/protocol.md is the contract users read: what it lists must be exactly what the code has. */
const doc = readFileSync(join(PROJECT_ROOT, 'docs/protocol.md'), 'utf8');

/** The rows of the first table under a heading, as cells. */
function table(heading: string): string[][] {
  const start = doc.indexOf(`\n${heading}\n`);
  expect(start, `heading ${heading}`).toBeGreaterThanOrEqual(0);
  const lines = doc.slice(start + heading.length + 2).split('\n');
  const first = lines.findIndex((l) => l.startsWith('|'));
  const rows: string[][] = [];
  for (const line of lines.slice(first + 2)) {
    if (!line.startsWith('|')) break;
    rows.push(line.slice(1, -1).split(/(?<!\\)\|/).map((c) => c.trim()));
  }
  return rows;
}

/** The backticked names of a table's first column. */
function names(heading: string): string[] {
  return table(heading).map(([first]) => /^`([^`]+)`/.exec(first!)?.[1] ?? first!);
}

describe('docs/protocol.md', () => {
  it('lists exactly the server frame types', () => {
    expect(names('### Server to client').sort()).toEqual([...SERVER_FRAME_TYPES].sort());
  });

  it('lists exactly the client frame types', () => {
    expect(names('### Client to server').sort()).toEqual([...CLIENT_FRAME_TYPES].sort());
  });

  it('lists exactly the error codes, with their HTTP statuses and close codes', () => {
    const rows = table('## Errors').map(([code, http, close]) => [code!.replace(/`/g, ''), Number(http), Number(close)]);
    expect(rows.sort()).toEqual(Object.entries(ERROR_CODES).map(([code, c]) => [code, c.http, c.close]).sort());
  });

  it('lists exactly the channel kinds', () => {
    expect(names('## Channels').sort()).toEqual([...CHANNEL_KINDS].sort());
  });

  it('lists exactly the environment variables the hub reads', () => {
    const config = readFileSync(join(PROJECT_ROOT, 'hub/src/config.ts'), 'utf8');
    const read = new Set([...config.matchAll(/env\.([A-Z0-9_]+)|\(env, '([A-Z0-9_]+)'/g)].map((m) => m[1] ?? m[2]!));
    expect(names('## Environment').sort()).toEqual([...read].sort());
  });
});
