import { defineConfig } from '@playwright/test';

// Debian's chromium, never a downloaded browser; flags that keep it off the network.
export default defineConfig({
  testDir: '.',
  testMatch: '*.spec.ts',
  timeout: 60_000,
  retries: 0,
  workers: 2,
  reporter: [['list']],
  use: {
    browserName: 'chromium',
    headless: true,
    launchOptions: {
      executablePath: '/usr/bin/chromium',
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--disable-dev-shm-usage',
      ],
    },
    trace: 'off',
    screenshot: 'only-on-failure',
  },
  outputDir: '../../test-results',
  // Frame-time and motion measurements run last and alone: beside other browser tests on two cores they measure the neighbours.
  projects: [
    { name: 'behaviour', testIgnore: /(frame-time|motion)\.spec\.ts/ },
    { name: 'frame-time', testMatch: /(frame-time|motion)\.spec\.ts/, dependencies: ['behaviour'], workers: 1 },
  ],
});
