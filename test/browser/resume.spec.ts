import { expect, test } from '@playwright/test';
import type { MessageFrame } from '@pulse/hub/protocol';
import { startHubProcess } from '@pulse/hub/testing';
import { sleep, uniqueName, useSystem } from '../helpers.js';
import { metricsSubject } from '@pulse/hub/protocol';


const sys = useSystem({ beforeAll: (fn) => test.beforeAll(fn), afterAll: (fn) => test.afterAll(fn) });

for (const transport of ['ws', 'sse', 'poll'] as const) {
  test(`the chart loses and repeats nothing when the hub is killed mid-stream (${transport})`, async ({ page }) => {
    const series = uniqueName(`browser.kill_${transport}`);
    let on = true;
    const publisher = (async () => {
      for (let n = 0; on; n++) {
        sys.service.publish(metricsSubject(series), String(n % 50));
        await sleep(50);
      }
    })();
    try {
      await page.goto(`${sys.hub.url}/?transport=${transport}`);
      const status = page.getByTestId('connection-status');
      await expect(status).toHaveAttribute('data-transport', transport);
      const card = page.locator(`[data-testid=series-row][data-series="${series}"]`);
      await expect(card).toBeVisible({ timeout: 20_000 });
      await expect.poll(async () => Number(await card.getAttribute('data-points')), { timeout: 10_000 }).toBeGreaterThanOrEqual(2);

      const port = sys.hub.port;
      await sys.hub.kill('SIGKILL');
      await expect(status).toHaveAttribute('data-state', 'reconnecting', { timeout: 15_000 });
      await expect(status).toContainText('Reconnecting');
      sys.hub = await startHubProcess(sys.nats.url, { PORT: String(port) });
      await expect(status).toHaveAttribute('data-state', 'open', { timeout: 20_000 });
      await expect(status).toHaveAttribute('data-transport', transport);
      const before = Number(await card.getAttribute('data-points'));
      await expect.poll(async () => Number(await card.getAttribute('data-points')), { timeout: 15_000 }).toBeGreaterThan(before + 1);
    } finally {
      on = false;
      await publisher;
    }
    await sleep(1500);
    const history = (await (await fetch(`${sys.hub.url}/api/history?ch=metrics:${encodeURIComponent(series)}&limit=2000`)).json()) as { messages: MessageFrame[] };
    // Every stored rollup reached the chart exactly once: the card counts what it took.
    const card = page.locator(`[data-testid=series-row][data-series="${series}"]`);
    await expect.poll(async () => Number(await card.getAttribute('data-points')), { timeout: 10_000 }).toBe(history.messages.length);
  });
}
