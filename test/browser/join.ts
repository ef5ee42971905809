import { expect, type Page } from '@playwright/test';

/** Signs the page in through the header's "Join as…" dialog, as a person does, and waits until the hub knows the name. */
export async function joinAs(page: Page, name: string, role: 'viewer' | 'player'): Promise<void> {
  await page.getByTestId('join-open').click();
  await page.getByTestId('join-name').fill(name);
  await page.getByTestId('join-role').selectOption(role);
  await page.getByRole('button', { name: 'Join', exact: true }).click();
  await expect(page.getByTestId('connection-status')).toContainText(`as ${name}`);
}
