import { AxeBuilder } from '@axe-core/playwright';
import { expect, test, type Page } from '@playwright/test';
import { testToken } from '@pulse/hub/testing';
import { useSystem } from '../helpers.js';
import { joinAs } from './join.js';

// One person in two tabs: a notification toasts in both, and reading it in
// one clears the badge in the other.

const sys = useSystem({ beforeAll: (fn) => test.beforeAll(fn), afterAll: (fn) => test.afterAll(fn) });

async function notify(user: string, body: Record<string, unknown>): Promise<void> {
  const res = await fetch(`${sys.hub.url}/api/notifications`, {
    method: 'POST',
    headers: { authorization: `Bearer ${await testToken('service', 'browser-notifier')}`, 'content-type': 'application/json' },
    body: JSON.stringify({ user, ...body }),
  });
  expect(res.status).toBe(201);
}

/** The signed-in person's id, from the token the page keeps. */
async function idOf(page: Page): Promise<string> {
  return page.evaluate(() => JSON.parse(atob(localStorage.getItem('pulse.token')!.split('.')[1]!.replace(/-/g, '+').replace(/_/g, '/'))).sub as string);
}

test('a notification toasts in every tab of its person, and reading it in one clears the badge in the other', async ({ context }) => {
  const one = await context.newPage();
  await one.goto(sys.hub.url);
  await joinAs(one, 'Nia', 'viewer');
  // The second tab shares the sign-in, as tabs of one browser do.
  const two = await context.newPage();
  await two.goto(`${sys.hub.url}/rooms`);
  await expect(two.getByTestId('connection-status')).toContainText('as Nia');
  for (const page of [one, two]) await expect(page.getByTestId('bell')).toBeVisible();
  const id = await idOf(one);

  await notify(id, { title: 'Build failed', body: '<b>not bold</b>', data: { url: '/hubs' } });
  for (const page of [one, two]) {
    const toast = page.getByTestId('toast');
    await expect(toast).toContainText('Build failed');
    // Text is text: the markup shows as written and makes no element.
    await expect(toast).toContainText('<b>not bold</b>');
    await expect(toast.locator('b')).toHaveCount(0);
    await expect(page.getByTestId('unread')).toHaveText('1');
  }
  await expect(one.getByRole('status')).toContainText('Build failed');

  await one.getByTestId('bell').click();
  await one.getByTestId('notification').filter({ hasText: 'Build failed' }).click();
  await expect(one).toHaveURL(/\/hubs$/);
  await expect(two.getByTestId('unread')).toHaveCount(0, { timeout: 5_000 });
  await expect(one.getByTestId('unread')).toHaveCount(0);

  // Mark all read clears what was seen in both tabs.
  await notify(id, { title: 'Disk at 91%' });
  await notify(id, { title: 'Disk at 95%' });
  await expect(two.getByTestId('unread')).toHaveText('2');
  await two.getByTestId('bell').click();
  await two.getByTestId('read-all').click();
  for (const page of [one, two]) await expect(page.getByTestId('unread')).toHaveCount(0, { timeout: 5_000 });

  // The open list and the alert form meet WCAG 2.1 AA too, in both colour schemes.
  await two.goto(sys.hub.url);
  await two.getByTestId('bell').click();
  await expect(two.getByTestId('notification')).toHaveCount(3);
  for (const scheme of ['light', 'dark'] as const) {
    await two.emulateMedia({ colorScheme: scheme });
    const results = await new AxeBuilder({ page: two }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']).analyze();
    expect(results.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => `${v.id}: ${v.nodes[0]?.failureSummary ?? ''}`)).toEqual([]);
  }
  await context.close();
});
