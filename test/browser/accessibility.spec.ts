import { AxeBuilder } from '@axe-core/playwright';
import { expect, test } from '@playwright/test';
import { metricsSubject } from '@pulse/hub/protocol';
import { uniqueName, useSystem } from '../helpers.js';

// The hub runs the demo room and shows its figures to everyone, as under npm start.
const sys = useSystem({ beforeAll: (fn) => test.beforeAll(fn), afterAll: (fn) => test.afterAll(fn) }, { HUB_DEMO: '1', HUB_OPS_PUBLIC: '1' });

/** Each page, with what shows it has its content (axe must see the page filled in, not loading). */
const PAGES = [
  { path: '/', ready: '[data-testid=series-row]' },
  { path: '/rooms/demo', ready: '[data-testid=connection-status][data-state=open]' },
  { path: '/hubs', ready: '[data-testid=hub-row]' },
  { path: '/rooms', ready: '[data-testid=lobby-room]' },
] as const;

for (const scheme of ['light', 'dark'] as const) {
  for (const { path, ready } of PAGES) {
    test(`${path} in ${scheme} mode has no serious or critical WCAG 2.1 AA violation`, async ({ page }) => {
      await page.emulateMedia({ colorScheme: scheme });
      const series = uniqueName('a11y.series');
      await page.goto(`${sys.hub.url}${path}`);
      await expect(async () => {
        sys.service.publish(metricsSubject(series), '1');
        await expect(page.locator(ready).first()).toBeVisible({ timeout: 1000 });
      }).toPass({ timeout: 20_000 });
      await expect(page.locator('h1')).toHaveCount(1);
      const results = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']).analyze();
      const grave = results.violations
        .filter((v) => v.impact === 'serious' || v.impact === 'critical')
        .map((v) => ({ rule: v.id, impact: v.impact, help: v.help, where: v.nodes.slice(0, 3).map((n) => `${n.target.join(' ')}: ${n.failureSummary ?? ''}`) }));
      expect(grave).toEqual([]);
    });
  }
}

test('every page is reachable from the keyboard: the header links take focus in order', async ({ page }) => {
  await page.goto(sys.hub.url);
  await expect(page.getByTestId('connection-status')).toHaveAttribute('data-state', 'open');
  const reached: string[] = [];
  for (let i = 0; i < 6; i++) {
    await page.keyboard.press('Tab');
    reached.push(await page.evaluate(() => document.activeElement?.textContent?.trim() ?? ''));
  }
  for (const link of ['Charts', 'Demo room', 'Rooms', 'Hubs']) expect(reached).toContain(link);
});
