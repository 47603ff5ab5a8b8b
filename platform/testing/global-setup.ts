import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { TestProject } from 'vitest/node';
import { findTemporalCli } from '../../temporal/cli.ts';
import { startDevServer } from '../../temporal/dev-server.ts';
import { createDb } from '../db.ts';
import { createLogger } from '../logger.ts';
import { migrateToLatest } from '../migrate.ts';
import { startEmbeddedPostgres, ensureDatabase } from '../postgres.ts';
import { freePort } from '../processes.ts';
import { TEMPLATE_DATABASE } from './database.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    /** A connection string for a database the tests may use to create their own databases. */
    adminDatabaseUrl: string;
    temporalAddress: string;
    temporalNamespace: string;
  }
}

/**
 * Starts real PostgreSQL and a real Temporal dev server once per test run — or takes them from
 * DATABASE_URL / TEMPORAL_ADDRESS — and prepares a migrated template database that every test
 * file clones into a database of its own.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const log = createLogger(process.env.TEST_LOG_LEVEL ?? 'error', 'test-setup');
  const teardown: (() => Promise<void>)[] = [];
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'lma-test-'));
  chmodSync(tmp, 0o755); // PostgreSQL runs as its own user when the tests run as root
  teardown.push(async () => rmSync(tmp, { recursive: true, force: true }));

  let adminUrl = process.env.DATABASE_URL;
  if (!adminUrl) {
    const pg = await startEmbeddedPostgres({
      dir: path.join(tmp, 'postgres'),
      port: await freePort(),
      log,
      ephemeral: true,
    });
    teardown.push(pg.stop);
    adminUrl = pg.urlFor('postgres');
  }
  await recreateTemplate(adminUrl);

  let temporalAddress = process.env.TEMPORAL_ADDRESS;
  const temporalNamespace = process.env.TEMPORAL_NAMESPACE ?? 'liquor-marketing-test';
  if (!temporalAddress) {
    const cli = findTemporalCli(process.env.TEMPORAL_CLI_PATH || undefined);
    if (!cli) throw new Error('No Temporal CLI found; run `npm run temporal:install` (npm test does it for you).');
    const server = await startDevServer({
      cliPath: cli.path,
      namespace: temporalNamespace,
      port: await freePort(),
      uiPort: false,
      log,
    });
    teardown.push(server.stop);
    temporalAddress = server.address;
  }

  project.provide('adminDatabaseUrl', adminUrl);
  project.provide('temporalAddress', temporalAddress);
  project.provide('temporalNamespace', temporalNamespace);

  return async () => {
    for (const step of teardown.reverse()) await step();
  };
}

async function recreateTemplate(adminUrl: string): Promise<void> {
  const admin = createDb(adminUrl, 1);
  try {
    await admin.raw(`drop database if exists ${TEMPLATE_DATABASE} with (force)`);
  } finally {
    await admin.destroy();
  }
  await ensureDatabase(adminUrl, TEMPLATE_DATABASE);
  const url = new URL(adminUrl);
  url.pathname = `/${TEMPLATE_DATABASE}`;
  const db = createDb(url.toString(), 1);
  try {
    await migrateToLatest(db);
  } finally {
    await db.destroy();
  }
}
