import { config } from '../config.ts';
import { createDb } from '../db.ts';
import { createLogger } from '../logger.ts';
import { migrateToLatest, pendingMigrations, rollbackAll } from '../migrate.ts';
import { databaseForCli } from '../postgres.ts';

// `npm run migrate [-- status|latest|rollback-all]`. `npm start` migrates by itself; this is for operators.
const command = process.argv[2] ?? 'latest';
const cfg = config();
const log = createLogger(cfg.LOG_LEVEL);
const database = await databaseForCli(cfg, log);
const db = createDb(database.url, 2);
try {
  if (command === 'status') {
    const pending = await pendingMigrations(db);
    console.log(pending.length ? `Pending migrations:\n  ${pending.join('\n  ')}` : 'The database is up to date.');
  } else if (command === 'latest') {
    const applied = await migrateToLatest(db);
    console.log(applied.length ? `Applied:\n  ${applied.join('\n  ')}` : 'The database was already up to date.');
  } else if (command === 'rollback-all') {
    const reverted = await rollbackAll(db);
    console.log(`Reverted:\n  ${reverted.join('\n  ') || '(nothing)'}`);
  } else {
    console.error(`Unknown command '${command}'. Use status, latest or rollback-all.`);
    process.exitCode = 2;
  }
} finally {
  await db.destroy();
  await database.stop();
}
