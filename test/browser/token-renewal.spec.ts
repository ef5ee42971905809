import { expect, test } from '@playwright/test';
import { sleep, uniqueName, useSystem } from '../helpers.js';
import { joinAs } from './join.js';

// A signed-in page renews its token before it expires and hands it to the
// open session: it stays signed in past the first token's end, on the same
// connection, with its notes open.

const TTL_S = 12;
const sys = useSystem({ beforeAll: (fn) => test.beforeAll(fn), afterAll: (fn) => test.afterAll(fn) }, { HUB_LOGIN_TOKEN_TTL_S: String(TTL_S) });

test('a signed-in page outlives its first token without reconnecting', async ({ page }) => {
  const sockets: string[] = [];
  page.on('websocket', (ws) => sockets.push(ws.url()));
  await page.goto(`${sys.hub.url}/rooms/${uniqueName('renew')}`);
  await joinAs(page, 'Tess', 'player');
  await expect(page.getByTestId('notes')).toHaveAttribute('data-synced', 'true');
  const opened = sockets.length;
  const first = await page.evaluate(() => localStorage.getItem('pulse.token'));

  await sleep((TTL_S + 4) * 1000);
  await expect(page.getByTestId('connection-status')).toContainText('as Tess');
  await expect(page.getByTestId('connection-status')).toContainText('Live');
  expect(await page.evaluate(() => localStorage.getItem('pulse.token'))).not.toBe(first);
  expect(sockets.length).toBe(opened);
  // Still a player on the same session: the notes take what is typed.
  const editor = page.getByTestId('notes').locator('.cm-content');
  await expect(editor).toHaveAttribute('contenteditable', 'true');
});
