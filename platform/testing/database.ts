import { randomBytes } from 'node:crypto';
import { inject } from 'vitest';
import { createDb, type Db } from '../db.ts';
import { ensureDatabase } from '../postgres.ts';

export const TEMPLATE_DATABASE = 'lma_test_template';

export interface TestDatabase {
  db: Db;
  url: string;
  name: string;
  drop(): Promise<void>;
}

function urlFor(name: string): string {
  const url = new URL(inject('adminDatabaseUrl'));
  url.pathname = `/${name}`;
  return url.toString();
}

/**
 * A database of the test file's own: cloned from the migrated template (or empty, for migration
 * tests), so files never see each other's rows and can run in parallel.
 */
export async function createTestDatabase(options: { migrated?: boolean } = {}): Promise<TestDatabase> {
  const name = `lma_test_${randomBytes(6).toString('hex')}`;
  await ensureDatabase(inject('adminDatabaseUrl'), name, options.migrated === false ? undefined : TEMPLATE_DATABASE);
  const url = urlFor(name);
  const db = createDb(url, 5);
  return {
    db,
    url,
    name,
    async drop() {
      await db.destroy();
      const admin = createDb(inject('adminDatabaseUrl'), 1);
      try {
        await admin.raw(`drop database if exists ${name} with (force)`);
      } finally {
        await admin.destroy();
      }
    },
  };
}
