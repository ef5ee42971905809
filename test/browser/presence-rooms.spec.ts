import type { Page } from '@playwright/test';
import { expect, test } from './pages.js';
import { GameServer } from '@pulse/hub/demo';
import { TEST_PASSWORDS } from '@pulse/hub/testing';
import { useSystem } from '../helpers.js';
import { joinAs } from './join.js';

const GRACE_MS = 1_000;
const sys = useSystem({ beforeAll: (fn) => test.beforeAll(fn), afterAll: (fn) => test.afterAll(fn) }, { HUB_PRESENCE_GRACE_MS: String(GRACE_MS) });

let game: GameServer | undefined;
test.afterAll(async () => {
  await game?.stop();
});

async function signIn(page: Page, name: string, role: 'viewer' | 'player'): Promise<void> {
  await page.goto(sys.hub.url);
  await joinAs(page, name, role);
}

test('two people on the charts page see each other arrive and leave', async ({ newPage }) => {
  const ann = await newPage();
  const bob = await newPage();
  await signIn(ann, 'Ann', 'viewer');
  const annPanel = ann.getByTestId('who-is-watching');
  await expect(annPanel.locator('[data-testid=watcher]')).toHaveText(['Annviewer']);

  await signIn(bob, 'Bob', 'viewer');
  await expect(annPanel.locator('[data-testid=watcher]')).toHaveText(['Annviewer', 'Bobviewer']);
  await expect(bob.getByTestId('who-is-watching').locator('[data-testid=watcher]')).toHaveText(['Annviewer', 'Bobviewer']);

  // A reload is a reconnect within the grace: Bob never leaves Ann's list.
  await bob.reload();
  await expect(bob.getByTestId('connection-status')).toHaveAttribute('data-state', 'open');
  await ann.waitForTimeout(GRACE_MS + 500);
  await expect(annPanel.locator('[data-testid=watcher]')).toHaveText(['Annviewer', 'Bobviewer']);

  const anonymous = await newPage();
  await anonymous.goto(sys.hub.url);
  await expect(annPanel.getByTestId('anonymous-count')).toHaveText('+ 1 anonymous viewer');
  await anonymous.close();
  await bob.context().close();
  await expect(annPanel.locator('[data-testid=watcher]')).toHaveText(['Annviewer'], { timeout: GRACE_MS + 5_000 });
  await expect(annPanel.getByTestId('anonymous-count')).toHaveCount(0);
  await expect(annPanel).toHaveAttribute('data-count', '1');
});

test('a player steers and chats in the demo room while a viewer watches it live', async ({ newPage }) => {
  game = await GameServer.start({ servers: sys.nats.url, password: TEST_PASSWORDS.game });
  const viewer = await newPage();
  const player = await newPage();
  const errors: string[] = [];
  for (const p of [viewer, player]) p.on('pageerror', (e) => errors.push(e.message));

  await viewer.goto(`${sys.hub.url}/rooms/demo`);
  await expect(viewer.getByTestId('room-hint')).toBeVisible();
  // Without bots (this test runs none), the game starts with its first player.
  await expect(viewer.getByTestId('room-empty')).toBeVisible();

  await signIn(player, 'Zoe', 'player');
  await player.getByRole('link', { name: 'Demo room' }).click();
  await expect(player.getByTestId('arena').locator('canvas')).toBeVisible();
  await expect(viewer.getByTestId('arena').locator('canvas')).toBeVisible();
  await expect(viewer.getByTestId('player')).toHaveText([/Zoe/]);
  await expect(viewer.getByTestId('arena')).toHaveAttribute('data-players', '1');

  await player.getByTestId('chat-input').fill('hi there');
  await expect(viewer.getByTestId('typing')).toHaveText('Zoe is typing…');
  await player.getByTestId('chat-input').press('Enter');
  await expect(viewer.getByTestId('chat-line')).toHaveText(['Zoe hi there']);
  await expect(viewer.getByTestId('typing')).toHaveText('');

  // Steering moves Zoe's dot on the viewer's screen (the canvas's accessible content says where).
  const dot = viewer.getByTestId('dot');
  const before = Number(await dot.getAttribute('data-x'));
  const direction = before > 400 ? 'ArrowLeft' : 'ArrowRight';
  // Keys typed into the chat box do not steer: move the focus to the arena first.
  await player.getByTestId('arena').click();
  await player.keyboard.down(direction);
  await expect(async () => {
    const x = Number(await dot.getAttribute('data-x'));
    expect(direction === 'ArrowLeft' ? before - x : x - before).toBeGreaterThan(30);
  }).toPass({ timeout: 5_000 });
  await player.keyboard.up(direction);

  // A page opened later sees the chat from history and the player in the list.
  const late = await newPage();
  await late.goto(`${sys.hub.url}/rooms/demo`);
  await expect(late.getByTestId('chat-line')).toHaveText(['Zoe hi there']);
  await expect(late.getByTestId('player')).toHaveText([/Zoe/]);
  expect(errors).toEqual([]);
});
