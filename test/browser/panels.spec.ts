import { expect, test, type Page } from '@playwright/test';
import { metricsSubject } from '@pulse/hub/protocol';
import { testToken } from '@pulse/hub/testing';
import { sleep, uniqueName, useSystem } from '../helpers.js';

// The series browser and panels: search, add, windows, pause, zoom, the layout
// in the URL, and fifty series updating every second without jank.

const sys = useSystem({ beforeAll: (fn) => test.beforeAll(fn), afterAll: (fn) => test.afterAll(fn) });

/** Publishes `value` on each series every `everyMs` until stopped. */
function feed(series: string[], value: () => number, everyMs = 250): () => void {
  const timer = setInterval(() => {
    for (const s of series) sys.service.publish(metricsSubject(s), JSON.stringify(value()));
  }, everyMs);
  return () => clearInterval(timer);
}

const row = (page: Page, series: string) => page.locator(`[data-testid=series-row][data-series="${series}"]`);

test('finds series by prefix and tag, puts them in panels, and a link to the layout shows the same panels', async ({ page }) => {
  const name = uniqueName('browse.lat');
  const series = [`${name},host=a`, `${name},host=b`, `${uniqueName('browse.other')}`];
  const stop = feed(series, () => 5);
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
  const stop = feed([series], () => value);
  try {
    await page.goto(`${sys.hub.url}/?panel=${encodeURIComponent(`1h~${series}`)}`);
    const panel = page.getByTestId('panel');
    await expect(panel).toHaveAttribute('data-window', '10s');
    value = 70;
    // A ten-second window closes about a second after its end.
    await expect(row(page, series)).toHaveAttribute('data-last', '70', { timeout: 30_000 });
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
  const stop = feed([series], () => value);
  try {
    await page.goto(`${sys.hub.url}/?panel=${encodeURIComponent(`1m~${series}`)}`);
    const panel = page.getByTestId('panel');
    await expect(row(page, series)).toHaveAttribute('data-last', '1', { timeout: 15_000 });

    await panel.getByRole('button', { name: /^Pause/ }).click();
    await expect(panel).toHaveAttribute('data-state', 'paused');
    const frozen = await panel.getAttribute('data-to');
    value = 2;
    await sleep(3_000);
    await expect(row(page, series)).toHaveAttribute('data-last', '1');
    expect(await panel.getAttribute('data-to')).toBe(frozen);
    await panel.getByRole('button', { name: /^Resume/ }).click();
    await expect(panel).toHaveAttribute('data-state', 'live');
    await expect(row(page, series)).toHaveAttribute('data-last', '2', { timeout: 5_000 });

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
    await expect(row(page, series)).toHaveAttribute('data-last', '3', { timeout: 5_000 });
    expect(Number(await panel.getAttribute('data-to'))).toBeGreaterThan(Number(zoom[2]));
  } finally {
    stop();
  }
});

test('fifty series updating every second stay smooth: charts are updated, not rebuilt, and no long task stalls the page', async ({ page }) => {
  const base = uniqueName('browse.many');
  const series = Array.from({ length: 50 }, (_, i) => `${base}.s${i}`);
  const stop = feed(series, () => Math.round(Math.random() * 100), 1000);
  try {
    const layout = Array.from({ length: 10 }, (_, p) => `panel=${encodeURIComponent(`5m~${series.slice(p * 5, p * 5 + 5).join('!')}`)}`).join('&');
    await page.goto(`${sys.hub.url}/?${layout}`);
    await expect(page.getByTestId('series-row')).toHaveCount(50);
    await expect(async () => {
      for (const s of series) expect(Number(await row(page, s).getAttribute('data-points'))).toBeGreaterThanOrEqual(2);
    }).toPass({ timeout: 20_000 });
    await page.locator('canvas').evaluateAll((all) => all.forEach((c) => c.setAttribute('data-marked', 'yes')));

    const measured = await page.evaluate(async () => {
      const longTasks: number[] = [];
      new PerformanceObserver((list) => list.getEntries().forEach((e) => longTasks.push(e.duration))).observe({ type: 'longtask', buffered: false });
      const frames: number[] = [];
      let last = performance.now();
      await new Promise<void>((resolve) => {
        const end = last + 10_000;
        const step = (now: number) => {
          frames.push(now - last);
          last = now;
          if (now < end) requestAnimationFrame(step);
          else resolve();
        };
        requestAnimationFrame(step);
      });
      frames.sort((a, b) => a - b);
      return { frames: frames.length, p95: frames[Math.floor(frames.length * 0.95)]!, longest: Math.max(0, ...longTasks), longTaskMs: longTasks.reduce((a, b) => a + b, 0) };
    });
    console.log(`50 series: ${measured.frames} frames in 10 s, p95 frame ${measured.p95.toFixed(1)} ms, long tasks ${measured.longTaskMs.toFixed(0)} ms in all, the longest ${measured.longest.toFixed(0)} ms`);
    // Generous bounds for a two-core machine running other browser tests beside this one (CI measured p95 33 ms,
    // 1.3 s of long tasks, the longest 227 ms): a chart rebuilt per point, or a page redrawn per message, blows them.
    expect(measured.p95).toBeLessThan(100);
    expect(measured.longest).toBeLessThan(500);
    expect(measured.longTaskMs).toBeLessThan(3_000);
    await expect(page.locator('canvas[data-marked=yes]')).toHaveCount(10);
    for (const s of series.slice(0, 5)) expect(Number(await row(page, s).getAttribute('data-points'))).toBeGreaterThanOrEqual(8);
  } finally {
    stop();
  }
});
