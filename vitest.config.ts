import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['platform', 'temporal', 'workflows', 'activities', 'domain', 'api', 'migrations', 'bench'].map(
      (dir) => `${dir}/**/*.test.ts`,
    ),
    globalSetup: ['platform/testing/global-setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // Two cores: more forks only fight over them.
    maxWorkers: 2,
    reporters: ['default', './platform/testing/summary-reporter.ts'],
    // A focused test (`it.only`) would silently drop the rest of the suite.
    allowOnly: false,
  },
});
