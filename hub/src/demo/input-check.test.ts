import { describe, expect, it } from 'vitest';
import { INPUTS_PER_S, InputRates, readInput } from './input-check.js';

const player = { id: 'u1', name: 'Ada' };

describe('readInput', () => {
  it('takes a step with its seq and rtt, and nothing else the client put in', () => {
    expect(readInput({ player, input: { dx: 1, dy: -0.5, seq: 7, rtt: 42.4, player: { id: 'victim' }, x: 999 }, ts: 1 })).toEqual({ ok: true, player, steer: { dx: 1, dy: -0.5, seq: 7, rtt: 42 } });
  });

  it.each([
    [null, 'shape'],
    [{ input: { dx: 0, dy: 0 } }, 'shape'],
    [{ player: { id: '' }, input: { dx: 0, dy: 0 } }, 'shape'],
    [{ player, input: 'up' }, 'shape'],
    [{ player, input: [1, 0] }, 'shape'],
    [{ player, input: { dx: '1', dy: 0 } }, 'shape'],
    [{ player, input: { dx: 2, dy: 0 } }, 'range'],
    [{ player, input: { dx: NaN, dy: 0 } }, 'range'],
    [{ player, input: { dx: 0, dy: -Infinity } }, 'range'],
    [{ player, input: { dx: 0, dy: 0, seq: 0 } }, 'range'],
    [{ player, input: { dx: 0, dy: 0, seq: 1.5 } }, 'range'],
    [{ player, input: { dx: 0, dy: 0, rtt: -1 } }, 'range'],
  ])('refuses %j for its %s', (message, reason) => {
    expect(readInput(message)).toMatchObject({ ok: false, reason });
  });
});

describe('InputRates', () => {
  it('allows a tick rate with a small burst, and refuses a flood', () => {
    const rates = new InputRates();
    let allowed = 0;
    for (let i = 0; i < 100; i++) if (rates.allow('u1', 0)) allowed++;
    expect(allowed).toBe(10);
    // A steady tick rate passes.
    let steady = 0;
    for (let t = 1; t <= 40; t++) if (rates.allow('u1', (t * 1000) / INPUTS_PER_S)) steady++;
    expect(steady).toBe(40);
    expect(rates.allow('u2', 0)).toBe(true);
  });
});
