import { expect, test } from '@playwright/test';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, type NatsConnection } from 'nats';
import { startLocalCluster, TEST_JWT_SECRET, TEST_PASSWORDS, type LocalCluster } from '@pulse/hub/testing';
import { metricsSubject } from '@pulse/hub/protocol';
import { uniqueName } from '../helpers.js';

// The dashboard opened through the balancer of a real cluster (three NATS nodes, two hubs, HAProxy).
let dir: string;
let cluster: LocalCluster;
let service: NatsConnection;

test.beforeAll(async () => {
  test.setTimeout(120_000);
  dir = mkdtempSync(join(tmpdir(), 'pulse-cluster-browser-'));
  cluster = await startLocalCluster({ dir, passwords: TEST_PASSWORDS, jwtSecret: TEST_JWT_SECRET });
  service = await connect({ servers: cluster.natsServers.split(','), user: 'service', pass: TEST_PASSWORDS.service });
});

test.afterAll(async () => {
  test.setTimeout(60_000);
  await service?.close();
  await cluster?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

for (const [transport, label] of [
  ['ws', 'WebSocket'],
  ['sse', 'Server-Sent Events'],
  ['poll', 'long-poll'],
] as const) {
  test(`through the balancer, the charts stay live over ${label}`, async ({ page }) => {
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(`${cluster.url}/?transport=${transport}`);
    const status = page.getByTestId('connection-status');
    await expect(status).toHaveAttribute('data-state', 'open', { timeout: 15_000 });
    await expect(status).toHaveAttribute('data-transport', transport);

    const series = uniqueName(`cluster.${transport}`);
    const card = page.locator(`[data-testid=series-row][data-series="${series}"]`);
    await expect(async () => {
      service.publish(metricsSubject(series), '1');
      await expect(card).toBeVisible({ timeout: 1000 });
    }).toPass({ timeout: 20_000 });
    for (const value of [111, 222]) {
      await expect(async () => {
        service.publish(metricsSubject(series), String(value));
        await expect(card).toHaveAttribute('data-last', String(value), { timeout: 1500 });
      }).toPass({ timeout: 15_000 });
    }
    expect(errors).toEqual([]);
  });
}

test('through the balancer, the Hubs page shows both hubs live, their sessions counted', async ({ page }) => {
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(`${cluster.url}/hubs`);
  await expect(page.getByRole('heading', { level: 1, name: 'Hubs' })).toBeVisible();
  for (const hub of ['hub-1', 'hub-2']) {
    await expect(page.locator(`[data-testid=hub-row][data-hub="${hub}"]`)).toHaveAttribute('data-state', 'serving', { timeout: 15_000 });
  }
  await expect(page.getByTestId('hubs-summary')).toContainText('2 hubs serving', { timeout: 5_000 });
  // This page's own session is one of them.
  await expect(page.getByTestId('hubs-summary')).not.toContainText(' 0 sessions', { timeout: 5_000 });
  await expect(page.getByTestId('hubs-summary')).toContainText('32 rollup partitions owned', { timeout: 20_000 });
  expect(errors).toEqual([]);
});
