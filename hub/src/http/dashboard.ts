import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Hono } from 'hono';
import { serveStatic } from '@hono/node-server/serve-static';
import { errorResponse } from './errors.js';

/**
 * The dashboard's static build on the same origin as the API. Unknown paths
 * get index.html so that deep links work, except under /_app/ where a missing
 * asset must be a 404 rather than a page.
 */
export function dashboardRoutes(dir: string): Hono {
  const ui = new Hono();
  const index = join(dir, 'index.html');
  if (!existsSync(index)) {
    ui.get('*', (c) =>
      c.text(`The dashboard is not built (no ${index}). Run \`npm run build\`, or \`npm start\`, which builds it.\n`, 503),
    );
    return ui;
  }
  const html = readFileSync(index, 'utf8');
  ui.use('*', serveStatic({ root: dir }));
  ui.get('/_app/*', (c) => errorResponse(c, { code: 'not_found', message: 'no such asset' }));
  ui.get('*', (c) => c.html(html));
  return ui;
}
