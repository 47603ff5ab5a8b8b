import type { ActivityDeps } from './index.ts';

export interface DatabaseCheck {
  serverVersion: string;
  migrationsApplied: number;
  checkedAt: string;
}

export function createPlatformActivities({ db }: Pick<ActivityDeps, 'db'>) {
  return {
    /** Proves that a worker can reach the schema the API uses. */
    async checkDatabase(): Promise<DatabaseCheck> {
      const version = await db.raw<{ rows: { server_version: string }[] }>('show server_version');
      const migrations = await db('knex_migrations').count<{ count: number }[]>({ count: '*' });
      return {
        serverVersion: version.rows[0]!.server_version,
        migrationsApplied: Number(migrations[0]!.count),
        checkedAt: new Date().toISOString(),
      };
    },
  };
}
