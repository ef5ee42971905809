import type { Page } from '@playwright/test';
import { expect, test } from './pages.js';
import { uniqueName, useSystem } from '../helpers.js';
import { joinAs } from './join.js';

// Two people typing in the same notepad, each seeing the other's text and
// cursor, and a viewer who reads it and sees that it is read-only.

const sys = useSystem({ beforeAll: (fn) => test.beforeAll(fn), afterAll: (fn) => test.afterAll(fn) });

async function player(newPage: () => Promise<Page>, name: string, path: string): Promise<Page> {
  const page = await newPage();
  await page.goto(sys.hub.url);
  await joinAs(page, name, 'player');
  await page.goto(`${sys.hub.url}${path}`);
  await expect(page.getByTestId('notes')).toHaveAttribute('data-synced', 'true');
  return page;
}

test('two people write in the same notes and see each other\'s text and cursor; a viewer reads along', async ({ newPage }) => {
  const path = `/rooms/${uniqueName('pad')}`;
  const ann = await player(newPage, 'Ann', path);
  const bob = await player(newPage, 'Bob', path);
  const editor = (p: Page) => p.getByTestId('notes').locator('.cm-content');
  /** The document's text, without the other people's cursors drawn in it. */
  const text = (p: Page) =>
    editor(p).evaluate((el) => {
      const copy = el.cloneNode(true) as HTMLElement;
      copy.querySelectorAll('.cm-ySelectionCaret').forEach((c) => c.remove());
      return copy.textContent ?? '';
    });

  await editor(ann).click();
  // Typed in a room: the arena's WASD keys must not steal letters from the editor.
  await ann.keyboard.type('Ann was here. ');
  await expect.poll(() => text(bob)).toBe('Ann was here. ');
  await editor(bob).click();
  await bob.keyboard.press('End');
  await bob.keyboard.type('Bob too.');
  await expect.poll(() => text(ann)).toBe('Ann was here. Bob too.');

  // Each sees the other's cursor, with their name.
  await expect(ann.getByTestId('notes').locator('.cm-ySelectionInfo', { hasText: 'Bob' })).toHaveCount(1);
  await expect(bob.getByTestId('notes').locator('.cm-ySelectionInfo', { hasText: 'Ann' })).toHaveCount(1);
  await expect(ann.getByTestId('notes-viewers')).toContainText('Bob');

  const viewer = await newPage();
  await viewer.goto(`${sys.hub.url}${path}`);
  await expect(viewer.getByTestId('notes-readonly')).toBeVisible();
  // Reading is not an error: the viewer's cursor is shared, its writes are not attempted.
  await expect(viewer.getByTestId('notes').getByRole('alert')).toHaveCount(0);
  await expect.poll(() => text(viewer)).toBe('Ann was here. Bob too.');
  await expect(editor(viewer)).toHaveAttribute('contenteditable', 'false');
});

test('a viewer who becomes a player writes in the notes at once, on the same connection, with the document still open', async ({ newPage }) => {
  const page = await newPage();
  const sockets: string[] = [];
  page.on('websocket', (ws) => sockets.push(ws.url()));
  const path = `/rooms/${uniqueName('roles')}`;
  await page.goto(sys.hub.url);
  await joinAs(page, 'Cleo', 'viewer');
  await page.goto(`${sys.hub.url}${path}`);
  const notes = page.getByTestId('notes');
  await expect(notes).toHaveAttribute('data-synced', 'true');
  await expect(page.getByTestId('notes-readonly')).toBeVisible();
  const editor = notes.locator('.cm-content');
  await expect(editor).toHaveAttribute('contenteditable', 'false');
  const opened = sockets.length;

  await page.getByTestId('join-switch').click();
  await expect(page.getByTestId('join-switch')).toHaveText('Become a viewer');
  await expect(page.getByTestId('notes-readonly')).toHaveCount(0);
  await expect(editor).toHaveAttribute('contenteditable', 'true');
  const mark = uniqueName('cleo');
  await editor.click();
  await page.keyboard.press('Control+End');
  await page.keyboard.type(` ${mark}`);

  // Another browser reads what Cleo wrote: the hub took it as a player's edit.
  const reader = await newPage();
  await reader.goto(`${sys.hub.url}${path}`);
  await expect(reader.getByTestId('notes').locator('.cm-content')).toContainText(mark);
  expect(sockets.length).toBe(opened);

  // And back: read-only again, still without reconnecting.
  await page.getByTestId('join-switch').click();
  await expect(page.getByTestId('notes-readonly')).toBeVisible();
  await expect(editor).toHaveAttribute('contenteditable', 'false');
  expect(sockets.length).toBe(opened);
});
