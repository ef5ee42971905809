import type { Page } from '@playwright/test';
import { expect, test } from './pages.js';
import { testToken, TestWsClient } from '@pulse/hub/testing';
import { uniqueName, useSystem } from '../helpers.js';
import { joinAs } from './join.js';
import { useGameServer } from './game-server.js';

// Rooms in the browser: two players and a viewer, and the lobby. Motion
// drawn between ticks is measured alone, in motion.spec.ts.

const GRACE_MS = 1_000;
const sys = useSystem({ beforeAll: (fn) => test.beforeAll(fn), afterAll: (fn) => test.afterAll(fn) }, { HUB_PRESENCE_GRACE_MS: String(GRACE_MS) });

useGameServer(sys);

async function player(newPage: () => Promise<Page>, name: string, room: string): Promise<Page> {
  const page = await newPage();
  await page.goto(sys.hub.url);
  await joinAs(page, name, 'player');
  await page.goto(`${sys.hub.url}/rooms/${room}`);
  await expect(page.getByTestId('arena').locator('canvas')).toBeVisible();
  return page;
}

/** The x or y of `name`'s dot in the game state, as the page's accessible canvas content says it. */
async function position(page: Page, name: string, axis: 'x' | 'y'): Promise<number> {
  return Number(await page.getByTestId('dot').filter({ hasText: name }).getAttribute(`data-${axis}`));
}

test('two players see each other move and read each other\'s chat, and a viewer sees both', async ({ newPage }) => {
  const room = uniqueName('duel');
  const ann = await player(newPage, 'Ann', room);
  const bob = await player(newPage, 'Bob', room);
  const viewer = await newPage();
  await viewer.goto(`${sys.hub.url}/rooms/${room}`);
  for (const page of [ann, bob, viewer]) await expect(page.getByTestId('arena')).toHaveAttribute('data-players', '2');

  for (const [mover, key, axis, watcher] of [[ann, 'ArrowRight', 'x', bob], [bob, 'ArrowDown', 'y', ann]] as const) {
    const name = mover === ann ? 'Ann' : 'Bob';
    const before = await position(watcher, name, axis);
    const sign = before > (axis === 'x' ? 400 : 250) ? -1 : 1;
    const pressed = sign > 0 ? key : key === 'ArrowRight' ? 'ArrowLeft' : 'ArrowUp';
    await mover.getByTestId('arena').click();
    await mover.keyboard.down(pressed);
    for (const page of [watcher, viewer]) {
      await expect(async () => expect(sign * ((await position(page, name, axis)) - before)).toBeGreaterThan(40)).toPass({ timeout: 5_000 });
    }
    await mover.keyboard.up(pressed);
    // The mover's own round trip is shown, and so is it to the others.
    await expect(mover.getByTestId('rtt')).toContainText(/Round trip \d+ ms/);
  }

  await ann.getByTestId('chat-input').fill('ready?');
  await ann.getByTestId('chat-input').press('Enter');
  await expect(bob.getByTestId('chat-line')).toHaveText(['Ann ready?']);
  await bob.getByTestId('chat-input').fill('go');
  await bob.getByTestId('chat-input').press('Enter');
  await expect(ann.getByTestId('chat-line')).toHaveText(['Ann ready?', 'Bob go']);
  await expect(viewer.getByTestId('chat-line')).toHaveText(['Ann ready?', 'Bob go']);
  await expect(viewer.getByTestId('player')).toHaveText([/Ann/, /Bob/]);
});

test('the lobby lists rooms with their players and viewers, following joins and leaves', async ({ page }) => {
  const room = uniqueName('lobby');
  await page.goto(`${sys.hub.url}/rooms`);
  const someone = await TestWsClient.connect(`${sys.hub.wsUrl}?token=${await testToken('player', uniqueName('p'), 'Pat')}`);
  someone.send({ type: 'subscribe', ch: `room:${room}` });
  const row = page.locator(`[data-testid=lobby-room][data-room="${room}"]`);
  await expect(row).toHaveAttribute('data-players', '1', { timeout: 15_000 });
  await expect(row).toHaveAttribute('data-viewers', '0');
  const watcher = await TestWsClient.connect(`${sys.hub.wsUrl}?token=${await testToken('viewer', uniqueName('v'), 'Val')}`);
  watcher.send({ type: 'subscribe', ch: `room:${room}` });
  await expect(row).toHaveAttribute('data-viewers', '1', { timeout: 10_000 });
  await someone.close();
  await watcher.close();
  await expect(row).toHaveAttribute('data-players', '0', { timeout: GRACE_MS + 10_000 });
  await expect(row).toHaveAttribute('data-viewers', '0');

  // A room opened by name from the lobby; a bad name is refused with the reason.
  await page.getByTestId('room-name').fill('a.b');
  await page.getByTestId('room-open').click();
  await expect(page.getByRole('alert')).toContainText('must not contain');
  await page.getByTestId('room-name').fill(room);
  await page.getByTestId('room-open').click();
  await expect(page).toHaveURL(new RegExp(`/rooms/${room}$`));
  await page.getByRole('link', { name: 'All rooms' }).click();
  await expect(page).toHaveURL(/\/rooms$/);
});
