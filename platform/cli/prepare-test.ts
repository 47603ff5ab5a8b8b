import { existsSync } from 'node:fs';
import { buildTemporalCli, findTemporalCli, goAvailable, missingCliHelp } from '../../temporal/cli.ts';
import { installTestServer, isTestServerInstalled } from '../../temporal/test-server.ts';
import { ensureWebBuild } from '../web-build.ts';

/**
 * Runs before `npm test`: makes sure the Temporal dev server binary and the Java time-skipping
 * test server are on this machine (built/fetched once, then cached), and that the web app is built
 * (the end-to-end tests drive it), so a fresh clone needs no manual set-up.
 */
if (!process.env.TEMPORAL_ADDRESS && !findTemporalCli(process.env.TEMPORAL_CLI_PATH || undefined)) {
  if (!goAvailable()) {
    console.error(missingCliHelp);
    process.exit(1);
  }
  const { seconds, path } = buildTemporalCli((line) => console.log(line));
  console.log(`Temporal CLI built in ${seconds.toFixed(1)} s: ${path}`);
}
if (!isTestServerInstalled()) {
  const started = Date.now();
  const wrapper = installTestServer();
  console.log(
    `Temporal time-skipping test server installed in ${((Date.now() - started) / 1000).toFixed(1)} s: ${wrapper}`,
  );
}
ensureWebBuild((line) => console.log(line));

// The browser journey (web/e2e) drives the system's Chromium; tools that download their own
// browser cannot reach the internet here. Say so now rather than fail deep in the run.
const chromium = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
if (!existsSync(chromium)) {
  console.error(
    `The browser tests need Chromium at ${chromium}.\n` +
      '  On Debian or Ubuntu: apt-get install chromium   (.ci/run does this)\n' +
      '  Or point CHROMIUM_PATH at a Chromium or Chrome binary.',
  );
  process.exit(1);
}
