import { test as base, type BrowserContext, type Page } from '@playwright/test';

/**
 * `newPage()`: a page in a browser context of its own (a person of its own:
 * storage, token), closed when the test ends. A context left open keeps its
 * page live, reconnecting and drawing, and slows every later test in the
 * worker.
 */
export const test = base.extend<{ newPage: () => Promise<Page> }>({
  newPage: async ({ browser }, use) => {
    const contexts: BrowserContext[] = [];
    await use(async () => {
      const context = await browser.newContext();
      contexts.push(context);
      return context.newPage();
    });
    await Promise.allSettled(contexts.map((c) => c.close()));
  },
});

export { expect } from '@playwright/test';
