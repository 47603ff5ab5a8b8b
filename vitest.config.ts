import { svelte } from '@sveltejs/vite-plugin-svelte';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'node',
          include: ['platform', 'temporal', 'workflows', 'activities', 'domain', 'api', 'migrations', 'bench']
            .map((dir) => `${dir}/**/*.test.ts`)
            // The browser journey: a real stack driven by Chromium (web/e2e/).
            .concat('web/e2e/**/*.test.ts'),
          globalSetup: ['platform/testing/global-setup.ts'],
          testTimeout: 60_000,
          hookTimeout: 120_000,
        },
      },
      {
        // The web app's component tests: Svelte components in jsdom, no database or Temporal.
        plugins: [svelte({ configFile: false, compilerOptions: { runes: true } })],
        resolve: {
          conditions: ['browser'],
          alias: { $lib: fileURLToPath(new URL('./web/src/lib', import.meta.url)) },
        },
        test: {
          name: 'web',
          include: ['web/src/**/*.test.ts'],
          environment: 'jsdom',
        },
      },
    ],
    // Two cores: more forks only fight over them.
    maxWorkers: 2,
    reporters: ['default', './platform/testing/summary-reporter.ts'],
    // A focused test (`it.only`) would silently drop the rest of the suite.
    allowOnly: false,
  },
});
