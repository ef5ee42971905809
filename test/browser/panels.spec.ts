import { expect, test } from '@playwright/test';
import { testToken } from '@pulse/hub/testing';
import { sleep, uniqueName, useSystem } from '../helpers.js';
import { feed, seriesRow } from './series-feed.js';

// The series browser and panels: search, add, windows, pause, zoom, the layout
// in the URL, and fifty series updating every second without jank.

const sys = useSystem({ beforeAll: (fn) => test.beforeAll(fn), afterAll: (fn) => test.afterAll(fn) });

test('finds series by prefix and tag, puts them in panels, and a link to the layout shows the same panels', async ({ page }) => {
  const name = uniqueName('browse.lat');
  const series = [`${name},host=a`, `${name},host=b`, `${uniqueName('browse.other')}`];
  const stop = feed(sys.service, series, () => 5);
  try {
    await page.goto(sys.hub.url);
    const search = page.getByTestId('series-search');
    const results = page.getByTestId('series-results').locator('li');
    await search.fill(`${name} host=b`);
    await expect(results).toHaveCount(1, { timeout: 15_000 });
    await expect(results.first()).toContainText(`${name},host=b`);

    // Search by prefix only: the untagged aggregate and both hosts.
    await search.fill(name);
    await expect(results).toHaveCount(3, { timeout: 15_000 });
    await page.getByRole('button', { name: `Add ${name},host=a`, exact: true }).click();
    await expect(page).toHaveURL(/panel=/);
    // The new panel is the last one; add a second series to it.
    const panels = page.getByTestId('panel');
    const count = await panels.count();
    await page.getByTestId('series-target').selectOption(String(count - 1));
    await page.getByRole('button', { name: `Add ${name},host=b`, exact: true }).click();
    const panel = panels.last();
    await expect(panel.getByTestId('series-row')).toHaveCount(2);
    await expect(panel.locator(`[data-testid=series-row][data-series="${name},host=b"]`)).toHaveAttribute('data-last', '5', { timeout: 15_000 });

    // Keep only that panel: a shared link shows it and nothing else.
    while ((await panels.count()) > 1) await panels.first().getByRole('button', { name: /^Remove the panel/ }).click();
    const link = page.url();
    const other = await page.context().newPage();
    await other.goto(link);
    await expect(other.getByTestId('panel')).toHaveCount(1);
    await expect(other.getByTestId('series-row')).toHaveCount(2);
    await expect(other.locator(`[data-testid=series-row][data-series="${name},host=a"]`)).toHaveAttribute('data-last', '5', { timeout: 15_000 });
  } finally {
    stop();
  }
});

test('line protocol from a raw NATS client and JSON over HTTP show up as tagged series', async ({ page }) => {
  const influx = uniqueName('telegraf_cpu');
  const json = uniqueName('svc.jobs');
  const token = await testToken('service', 'browser-ingest');
  const send = async () => {
    // What Telegraf's NATS output sends: line protocol on ingest.influx.
    sys.service.publish('ingest.influx', `${influx},host=web1,cpu=cpu0 usage_idle=93.5,usage_user=4i\n`);
    const res = await fetch(`${sys.hub.url}/api/ingest`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify([{ series: json, value: 12, tags: { queue: 'mail' } }]),
    });
    expect(res.status).toBe(200);
  };
  await page.goto(sys.hub.url);
  const search = page.getByTestId('series-search');
  const results = page.getByTestId('series-results').locator('li');
  await expect(async () => {
    await send();
    await search.fill(`${influx}.usage_idle cpu=cpu0`);
    await expect(results.filter({ hasText: `${influx}.usage_idle,cpu=cpu0,host=web1` })).toHaveCount(1, { timeout: 2_000 });
  }).toPass({ timeout: 20_000 });
  await expect(async () => {
    await send();
    await search.fill(`${json} queue=mail`);
    await expect(results.filter({ hasText: `${json},queue=mail` })).toHaveCount(1, { timeout: 2_000 });
  }).toPass({ timeout: 20_000 });
  await page.getByRole('button', { name: `Add ${json},queue=mail`, exact: true }).click();
  await expect(page.getByTestId('panel').last().locator(`[data-testid=series-row][data-series="${json},queue=mail"]`)).toHaveAttribute('data-last', '12', { timeout: 15_000 });
});

test('a panel reads the window that fits its span, and an hour panel stays live at ten-second points', async ({ page }) => {
  const series = uniqueName('browse.span');
  let value = 1;
  const stop = feed(sys.service, [series], () => value);
  try {
    await page.goto(`${sys.hub.url}/?panel=${encodeURIComponent(`1h~${series}`)}`);
    const panel = page.getByTestId('panel');
    await expect(panel).toHaveAttribute('data-window', '10s');
    value = 70;
    // A ten-second window closes about a second after its end.
    await expect(seriesRow(page, series)).toHaveAttribute('data-last', '70', { timeout: 30_000 });
    for (const [span, window] of [['24h', '1m'], ['7d', '1m'], ['5m', '1s']] as const) {
      await panel.getByLabel(/Time window/).selectOption(span);
      await expect(page).toHaveURL(new RegExp(`panel=${span}`));
      await expect(page.getByTestId('panel')).toHaveAttribute('data-window', window);
    }
  } finally {
    stop();
  }
});

test('pause holds the view while data flows and draws what came on resume; a drag zooms into a past range that live data leaves alone', async ({ page }) => {
  const series = uniqueName('browse.pause');
  let value = 1;
  const stop = feed(sys.service, [series], () => value);
  try {
    await page.goto(`${sys.hub.url}/?panel=${encodeURIComponent(`1m~${series}`)}`);
    const panel = page.getByTestId('panel');
    await expect(seriesRow(page, series)).toHaveAttribute('data-last', '1', { timeout: 15_000 });

    await panel.getByRole('button', { name: /^Pause/ }).click();
    await expect(panel).toHaveAttribute('data-state', 'paused');
    const frozen = await panel.getAttribute('data-to');
    value = 2;
    await sleep(3_000);
    await expect(seriesRow(page, series)).toHaveAttribute('data-last', '1');
    expect(await panel.getAttribute('data-to')).toBe(frozen);
    await panel.getByRole('button', { name: /^Resume/ }).click();
    await expect(panel).toHaveAttribute('data-state', 'live');
    await expect(seriesRow(page, series)).toHaveAttribute('data-last', '2', { timeout: 5_000 });

    // Drag across the middle of the chart.
    const box = (await panel.locator('canvas').boundingBox())!;
    await page.mouse.move(box.x + box.width * 0.4, box.y + box.height / 2);
    await page.mouse.down();
    await page.mouse.move(box.x + box.width * 0.7, box.y + box.height / 2, { steps: 5 });
    await page.mouse.up();
    await expect(panel).toHaveAttribute('data-state', 'zoomed');
    await expect(page).toHaveURL(/panel=1m%40\d+-\d+%7E/);
    const zoom = /panel=1m%40(\d+)-(\d+)%7E/.exec(page.url())!;
    await expect(panel).toHaveAttribute('data-from', zoom[1]!);
    await expect(panel).toHaveAttribute('data-to', zoom[2]!);
    value = 3;
    await sleep(2_500);
    await expect(panel).toHaveAttribute('data-to', zoom[2]!);

    await panel.getByRole('button', { name: /^Back to live/ }).click();
    await expect(panel).toHaveAttribute('data-state', 'live');
    await expect(seriesRow(page, series)).toHaveAttribute('data-last', '3', { timeout: 5_000 });
    // The live view is drawn on the next frame, which may come after the attributes above.
    await expect.poll(async () => Number(await panel.getAttribute('data-to')), { timeout: 5_000 }).toBeGreaterThan(Number(zoom[2]));
  } finally {
    stop();
  }
});
