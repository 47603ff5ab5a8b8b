import { buildTemporalCli, findTemporalCli, TEMPORAL_CLI_VERSION } from './cli.ts';

// `npm run temporal:install [-- --force]`: build the pinned Temporal CLI into the project cache.
const force = process.argv.includes('--force');
const existing = findTemporalCli(process.env.TEMPORAL_CLI_PATH || undefined);
if (existing && existing.source === 'project cache' && !force) {
  console.log(`Temporal CLI ${TEMPORAL_CLI_VERSION} is already built: ${existing.path}`);
} else {
  const { path, seconds } = buildTemporalCli((line) => console.log(line));
  console.log(`Temporal CLI ${TEMPORAL_CLI_VERSION} built in ${seconds.toFixed(1)} s: ${path}`);
}
