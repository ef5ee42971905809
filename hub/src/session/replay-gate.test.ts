import { describe, expect, it } from 'vitest';
import { ReplayGate } from './replay-gate.js';

/** A read that ends when the test says, recording when it started. */
function reads(log: string[]) {
  const finish = new Map<string, () => void>();
  return {
    read: (name: string) => () =>
      new Promise<void>((resolve) => {
        log.push(name);
        finish.set(name, resolve);
      }),
    end: async (name: string) => {
      finish.get(name)!();
      await new Promise((r) => setImmediate(r));
    },
  };
}

describe('ReplayGate', () => {
  it('runs at most perHub reads, and at most perSession of one session', async () => {
    const log: string[] = [];
    const { read } = reads(log);
    const gate = new ReplayGate(3, 2);
    const a = {};
    const b = {};
    for (let i = 0; i < 5; i++) void gate.run(a, read(`a${i}`));
    void gate.run(b, read('b0'));
    await new Promise((r) => setImmediate(r));
    expect(log).toEqual(['a0', 'a1', 'b0']);
    expect(gate.load).toEqual({ running: 3, waiting: 3 });
  });

  it('serves the sessions in turn, so a flood waits behind itself', async () => {
    const log: string[] = [];
    const { read, end } = reads(log);
    const gate = new ReplayGate(1, 1);
    const flood = {};
    const honest = {};
    for (let i = 0; i < 50; i++) void gate.run(flood, read(`f${i}`));
    void gate.run(honest, read('h'));
    await new Promise((r) => setImmediate(r));
    await end('f0');
    await end('h');
    expect(log).toEqual(['f0', 'h', 'f1']);
  });

  it('frees its place when a read fails', async () => {
    const gate = new ReplayGate(1, 1);
    const s = {};
    await expect(gate.run(s, () => Promise.reject(new Error('stream gone')))).rejects.toThrow('stream gone');
    await expect(gate.run(s, async () => 'next')).resolves.toBe('next');
    expect(gate.load).toEqual({ running: 0, waiting: 0 });
  });
});
