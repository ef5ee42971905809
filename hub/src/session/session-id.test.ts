import { describe, expect, it } from 'vitest';
import { newProcessId, newSessionId, processOfSession } from './session-id.js';

describe('session ids', () => {
  it('name the process that holds the session', () => {
    const process = newProcessId();
    expect(processOfSession(newSessionId(process))).toBe(process);
  });

  it('are different every time', () => {
    const process = newProcessId();
    expect(newSessionId(process)).not.toBe(newSessionId(process));
  });

  it.each(['', '.', 'abc', '.abc', 'a.b.c', 'a b.c', 'a*.c', 'a>.c', `${'x'.repeat(33)}.c`, 'pulse.>'])(
    'names no process for %j, so nothing is forwarded for it',
    (id) => {
      expect(processOfSession(id)).toBeUndefined();
    },
  );
});
