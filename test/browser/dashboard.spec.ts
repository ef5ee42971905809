import { expect, test } from '@playwright/test';
import { startHubProcess, startTestNats } from '@pulse/hub/testing';
import { uniqueName, useSystem } from '../helpers.js';
import { joinAs } from './join.js';
import { metricsSubject } from '@pulse/hub/protocol';


const sys = useSystem({ beforeAll: (fn) => test.beforeAll(fn), afterAll: (fn) => test.afterAll(fn) });

test('a metric published on NATS appears on a live chart', async ({ page }) => {
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));

  await page.goto(sys.hub.url);
  const status = page.getByTestId('connection-status');
  await expect(status).toHaveAttribute('data-state', 'open');
  await expect(status).toHaveAttribute('data-transport', 'ws');
  await expect(status).toContainText('Live via WebSocket');

  const series = uniqueName('browser.temp');
  // Publish until the card shows up: the page lists new series every few seconds.
  const card = page.locator(`[data-testid=series-row][data-series="${series}"]`);
  let value = 10;
  await expect(async () => {
    sys.service.publish(metricsSubject(series), JSON.stringify(value));
    await expect(card).toBeVisible({ timeout: 1000 });
  }).toPass({ timeout: 20_000 });

  // Now the chart is live: a new value reaches it without reloading or re-creating it.
  // Mark the canvas: the same element must still be there after live updates.
  const panel = page.getByTestId('panel').filter({ has: card });
  await panel.locator('canvas').evaluate((c) => c.setAttribute('data-marked', 'yes'));
  value = 4242;
  await expect(async () => {
    sys.service.publish(metricsSubject(series), JSON.stringify(value));
    await expect(card).toHaveAttribute('data-last', String(value), { timeout: 1500 });
  }).toPass({ timeout: 15_000 });
  expect(Number(await card.getAttribute('data-points'))).toBeGreaterThanOrEqual(2);
  await expect(panel.locator('canvas')).toHaveAttribute('data-marked', 'yes');
  await expect(card).toContainText('4242');
  expect(errors).toEqual([]);
});

test('shows a helpful empty state before any metric exists', async ({ page }) => {
  const emptyNats = await startTestNats();
  const emptyHub = await startHubProcess(emptyNats.url);
  try {
    await page.goto(emptyHub.url);
    await expect(page.getByTestId('empty-state')).toContainText('No metrics yet');
    await expect(page.getByTestId('empty-state')).toContainText('nats pub');
  } finally {
    await emptyHub.stop();
    await emptyNats.stop();
  }
});

test('serves deep links as the app and missing assets as 404', async ({ request }) => {
  const deep = await request.get(`${sys.hub.url}/some/deep/link`);
  expect(deep.status()).toBe(200);
  expect(await deep.text()).toContain('<html');
  const asset = await request.get(`${sys.hub.url}/_app/immutable/missing.js`);
  expect(asset.status()).toBe(404);
});

test.describe('transport fallback in the browser', () => {
  const cases = [
    { name: 'without WebSocket, stays live over SSE', remove: ['WebSocket'], transport: 'sse', label: 'Server-Sent Events', query: '' },
    { name: 'without WebSocket and EventSource, stays live over long-poll', remove: ['WebSocket', 'EventSource'], transport: 'poll', label: 'long-poll', query: '' },
    { name: 'with ?transport=poll, uses long-poll though WebSocket works', remove: [], transport: 'poll', label: 'long-poll', query: '?transport=poll' },
    { name: 'with ?transport=sse, uses SSE', remove: [], transport: 'sse', label: 'Server-Sent Events', query: '?transport=sse' },
  ];
  for (const c of cases) {
    test(c.name, async ({ page }) => {
      await page.addInitScript((names: string[]) => {
        for (const n of names) Reflect.deleteProperty(window, n);
      }, c.remove);
      const series = uniqueName(`browser.${c.transport}`);
      await page.goto(`${sys.hub.url}/${c.query}`);
      const status = page.getByTestId('connection-status');
      await expect(status).toHaveAttribute('data-state', 'open', { timeout: 15_000 });
      await expect(status).toHaveAttribute('data-transport', c.transport);
      await expect(status).toContainText(c.label);

      const card = page.locator(`[data-testid=series-row][data-series="${series}"]`);
      await expect(async () => {
        sys.service.publish(metricsSubject(series), '1');
        await expect(card).toBeVisible({ timeout: 1000 });
      }).toPass({ timeout: 20_000 });
      for (const value of [111, 222]) {
        await expect(async () => {
          sys.service.publish(metricsSubject(series), String(value));
          await expect(card).toHaveAttribute('data-last', String(value), { timeout: 1500 });
        }).toPass({ timeout: 15_000 });
      }
    });
  }
});

test('joins under a name with a demo token, keeps it across a reload, and the charts stay live', async ({ page }) => {
  const series = uniqueName('browser.join');
  await page.goto(sys.hub.url);
  const status = page.getByTestId('connection-status');
  await expect(status).toContainText('as Anonymous');
  const card = page.locator(`[data-testid=series-row][data-series="${series}"]`);
  await expect(async () => {
    sys.service.publish(metricsSubject(series), '5');
    await expect(card).toBeVisible({ timeout: 1000 });
  }).toPass({ timeout: 20_000 });

  await joinAs(page, 'Ada Lovelace', 'player');
  await expect(status).toHaveAttribute('data-state', 'open');

  // The chart follows the new connection from where it stood.
  await expect(async () => {
    sys.service.publish(metricsSubject(series), '777');
    await expect(card).toHaveAttribute('data-last', '777', { timeout: 1500 });
  }).toPass({ timeout: 15_000 });

  await page.reload();
  await expect(status).toContainText('as Ada Lovelace');
  await page.getByTestId('join-leave').click();
  await expect(status).toContainText('as Anonymous');
});
