import { chmodSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { createDb, type Db } from '../platform/db.ts';
import { createLogger } from '../platform/logger.ts';
import { migrateToLatest } from '../platform/migrate.ts';
import { startEmbeddedPostgres } from '../platform/postgres.ts';
import { freePort } from '../platform/processes.ts';
import type { BenchContext, Benchmark } from './types.ts';

// `npm run bench -- <name> [args…]`: runs bench/<name>.bench.ts and prints one JSON document.
// Logs go to the logger (BENCH_LOG_LEVEL, default warn) so that stdout stays the document.

const benchDir = path.dirname(fileURLToPath(import.meta.url));
const available = readdirSync(benchDir)
  .filter((f) => f.endsWith('.bench.ts'))
  .map((f) => f.slice(0, -'.bench.ts'.length))
  .sort();

const [name, ...args] = process.argv.slice(2);
if (!name || !available.includes(name)) {
  console.error(
    `${name ? `No benchmark named '${name}'.` : 'Which benchmark?'} Usage: npm run bench -- <name> [args…]\n` +
      `Available: ${available.join(', ') || '(none)'}`,
  );
  process.exit(2);
}

const log = createLogger(process.env.BENCH_LOG_LEVEL ?? 'warn', 'bench');
const cleanups: (() => Promise<void>)[] = [];
let database: Promise<Db> | undefined;

/** DATABASE_URL's database, or a throw-away embedded PostgreSQL removed at the end. */
async function openDatabase(): Promise<Db> {
  let url = process.env.DATABASE_URL;
  if (!url) {
    const tmp = mkdtempSync(path.join(os.tmpdir(), 'lma-bench-'));
    chmodSync(tmp, 0o755); // PostgreSQL runs as its own user when we run as root
    cleanups.push(async () => rmSync(tmp, { recursive: true, force: true }));
    const pg = await startEmbeddedPostgres({
      dir: path.join(tmp, 'postgres'),
      port: await freePort(),
      log,
      ephemeral: true,
    });
    cleanups.push(pg.stop);
    url = pg.url;
  }
  const db = createDb(url, 4);
  cleanups.push(() => db.destroy());
  await migrateToLatest(db);
  return db;
}

const context: BenchContext = {
  db: () => (database ??= openDatabase()),
  log,
  args,
};

const machine = {
  cpus: os.cpus().length,
  cpuModel: os.cpus()[0]?.model.trim() ?? 'unknown',
  memoryGiB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
  node: process.version,
  platform: `${os.platform()}-${os.arch()} ${os.release()}`,
};

const startedAt = new Date();
const started = performance.now();
try {
  const benchmark = (await import(pathToFileURL(path.join(benchDir, `${name}.bench.ts`)).href)) as {
    default: Benchmark;
  };
  const figures = await benchmark.default(context);
  const durationMs = Math.round(performance.now() - started);
  console.log(
    JSON.stringify({ benchmark: name, machine, startedAt: startedAt.toISOString(), durationMs, figures }, null, 2),
  );
} catch (err) {
  const e = err as Error & { code?: string };
  // Bad arguments need their message, not a stack trace.
  const badArguments = e.name === 'RangeError' || e.code?.startsWith('ERR_PARSE_ARGS');
  console.error(`Benchmark '${name}' failed: ${badArguments ? e.message : (e.stack ?? String(err))}`);
  process.exitCode = badArguments ? 2 : 1;
} finally {
  for (const cleanup of cleanups.reverse()) {
    await cleanup().catch((err: unknown) => log.error({ err }, 'benchmark clean-up failed'));
  }
}
