import type { Page } from '@playwright/test';
import { metricsSubject } from '@pulse/hub/protocol';
import type { NatsConnection } from 'nats';

/** Publishes `value` on each series every `everyMs` until the returned function is called. */
export function feed(service: NatsConnection, series: string[], value: () => number, everyMs = 250): () => void {
  const timer = setInterval(() => {
    for (const s of series) service.publish(metricsSubject(s), JSON.stringify(value()));
  }, everyMs);
  return () => clearInterval(timer);
}

/** A series' row in a panel's table: its data-last, data-points. */
export function seriesRow(page: Page, series: string) {
  return page.locator(`[data-testid=series-row][data-series="${series}"]`);
}
