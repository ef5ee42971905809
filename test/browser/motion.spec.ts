import { expect, test } from '@playwright/test';
import { RoomBots } from '@pulse/hub/demo';
import { TEST_PASSWORDS } from '@pulse/hub/testing';
import { uniqueName, useSystem } from '../helpers.js';
import { useGameServer } from './game-server.js';

// Motion drawn smoothly between ticks. A measurement of frame pacing, so it
// runs in the frame-time project, after the other browser tests and alone:
// beside them on two cores, delayed frames make steps the page does not make.

const sys = useSystem({ beforeAll: (fn) => test.beforeAll(fn), afterAll: (fn) => test.afterAll(fn) });

const { stops } = useGameServer(sys);

test('motion is drawn every frame between ticks: no visible steps at 20 ticks a second', async ({ page }) => {
  const room = uniqueName('smooth');
  const bots = await RoomBots.start({ servers: sys.nats.url, password: TEST_PASSWORDS.hub, room, count: 1 });
  stops.push(() => bots.stop());
  await page.goto(`${sys.hub.url}/rooms/${room}`);
  await expect(page.getByTestId('arena')).toHaveAttribute('data-players', '1', { timeout: 15_000 });
  const samples = await page.evaluate(async () => {
    const canvas = document.querySelector('[data-testid=arena] canvas') as HTMLCanvasElement;
    const out: Array<{ t: number; x: number; y: number }> = [];
    await new Promise<void>((resolve) => {
      const end = performance.now() + 3_000;
      const step = (now: number) => {
        const drawn = JSON.parse(canvas.dataset.drawn ?? '{}') as Record<string, [number, number]>;
        const at = Object.values(drawn)[0];
        if (at) out.push({ t: now, x: at[0], y: at[1] });
        if (now < end) requestAnimationFrame(step);
        else resolve();
      };
      requestAnimationFrame(step);
    });
    return out;
  });
  const speeds: number[] = [];
  let travelled = 0;
  for (let i = 1; i < samples.length; i++) {
    const d = Math.hypot(samples[i]!.x - samples[i - 1]!.x, samples[i]!.y - samples[i - 1]!.y);
    travelled += d;
    speeds.push(d / (samples[i]!.t - samples[i - 1]!.t));
  }
  speeds.sort((a, b) => a - b);
  const p95 = speeds[Math.floor(speeds.length * 0.95)]!;
  console.log(`bot drawn over ${samples.length} frames: ${travelled.toFixed(0)} px, p95 ${p95.toFixed(3)} px/ms`);
  expect(samples.length).toBeGreaterThan(60);
  expect(travelled).toBeGreaterThan(50);
  // Full speed is 6 px a tick, 0.17 px/ms diagonally; drawn tick by tick, a frame would jump 6 px in ~17 ms (0.36 px/ms).
  expect(p95).toBeLessThan(0.25);
});
