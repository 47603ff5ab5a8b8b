import { accessSync, constants, createReadStream, statSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import {
  importCustomers,
  importOrders,
  type ImportProgress,
  type ImportReport,
  type Rejection,
} from '../../activities/import/index.ts';
import { canonicalTimeZone } from '../../domain/import/local-time.ts';
import { config, ConfigError, type Config } from '../config.ts';
import { createDb } from '../db.ts';
import { createLogger } from '../logger.ts';
import { migrateToLatest } from '../migrate.ts';
import { databaseForCli } from '../postgres.ts';

// `npm run import -- customers|orders <file.csv>`. Exit code 0 when the import ran, rejected rows
// or not; 1 when it could not run (no such file, missing column, unreadable file); 2 for bad usage.

const usage =
  'Usage: npm run import -- customers|orders <file.csv> [--phone-region US] [--time-zone America/Chicago] ' +
  '[--batch-size 5000]';
const SHOWN_REJECTIONS = 10;

function fail(message: string, code: number): never {
  console.error(message);
  process.exit(code);
}

let args: ReturnType<typeof parseCommandLine>;
try {
  args = parseCommandLine(process.argv.slice(2));
} catch (err) {
  fail(`${(err as Error).message}\n${usage}`, 2);
}
const { kind, file } = args;

try {
  if (!statSync(file).isFile()) fail(`Not a file: ${file}`, 1);
  accessSync(file, constants.R_OK);
} catch (err) {
  const code = (err as NodeJS.ErrnoException).code;
  fail(code === 'ENOENT' ? `File not found: ${file}` : `Cannot read ${file}: ${(err as Error).message}`, 1);
}

let cfg: Config;
try {
  cfg = config();
} catch (err) {
  if (err instanceof ConfigError) fail(err.message, 1);
  throw err;
}
const log = createLogger(cfg.LOG_LEVEL);
const database = await databaseForCli(cfg, log);
const db = createDb(database.url, 2);
try {
  await migrateToLatest(db);
  const progress = progressDisplay(process.stderr, statSync(file).size);
  const run = kind === 'customers' ? importCustomers : importOrders;
  const started = performance.now();
  const report = await run(db, createReadStream(file), {
    source: 'csv',
    filename: path.basename(file),
    defaultPhoneRegion: args.phoneRegion ?? cfg.DEFAULT_PHONE_REGION,
    storeTimeZone: args.timeZone ?? cfg.STORE_TIME_ZONE,
    batchSize: args.batchSize,
    rejectionsLimit: SHOWN_REJECTIONS,
    onProgress: progress.update,
  });
  progress.clear();
  console.log(summary(report, performance.now() - started));
  process.exitCode = report.status === 'completed' ? 0 : 1;
} catch (err) {
  console.error(`Import stopped: ${(err as Error).message}`);
  process.exitCode = 1;
} finally {
  await db.destroy();
  await database.stop();
}

function parseCommandLine(argv: string[]) {
  const { positionals, values } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      'phone-region': { type: 'string' },
      'time-zone': { type: 'string' },
      'batch-size': { type: 'string' },
    },
  });
  const [kind, file, ...extra] = positionals;
  if (kind !== 'customers' && kind !== 'orders') throw new Error(`Import what? Got '${kind ?? ''}'.`);
  if (!file || extra.length > 0) throw new Error('Name exactly one CSV file.');
  const batchSize = values['batch-size'] === undefined ? undefined : Number(values['batch-size']);
  if (batchSize !== undefined && !(Number.isInteger(batchSize) && batchSize >= 1 && batchSize <= 50_000)) {
    throw new Error('--batch-size must be a whole number from 1 to 50000.');
  }
  const phoneRegion = values['phone-region']?.toUpperCase();
  if (phoneRegion !== undefined && !/^[A-Z]{2}$/.test(phoneRegion)) {
    throw new Error('--phone-region must be a two-letter country code such as US.');
  }
  const timeZone = values['time-zone'];
  if (timeZone !== undefined && canonicalTimeZone(timeZone) === undefined) {
    throw new Error('--time-zone must be an IANA time zone such as America/Chicago.');
  }
  return { kind, file, batchSize, phoneRegion, timeZone } as const;
}

function count(n: number): string {
  return n.toLocaleString('en-US');
}

/** In place on a terminal; otherwise a line now and then, for logs and CI. */
function progressDisplay(out: NodeJS.WriteStream, fileSize: number) {
  const interval = out.isTTY ? 100 : 2_000;
  let last = -Infinity;
  let shown = false;
  return {
    update(p: ImportProgress) {
      const now = performance.now();
      if (now - last < interval) return;
      last = now;
      const percent = fileSize > 0 ? `${Math.min(100, Math.floor((p.bytesRead / fileSize) * 100))}%  ` : '';
      const rate = p.elapsedMs > 0 ? Math.round(p.rowsTotal / (p.elapsedMs / 1000)) : 0;
      const line =
        `${percent}${count(p.rowsTotal)} rows  ${count(rate)} rows/s  ` +
        `accepted ${count(p.rowsAccepted)}  rejected ${count(p.rowsRejected)}`;
      out.write(out.isTTY ? `\r\x1b[2K${line}` : `${line}\n`);
      shown = true;
    },
    clear() {
      if (out.isTTY && shown) out.write('\r\x1b[2K');
    },
  };
}

function summary(report: ImportReport, elapsedMs: number): string {
  const seconds = elapsedMs / 1000;
  const rate = seconds > 0 ? Math.round(report.rowsTotal / seconds) : report.rowsTotal;
  const source = report.filename ?? 'the file';
  const head =
    report.status === 'completed'
      ? `Imported ${report.kind} from ${source} in ${seconds.toFixed(1)} s (${count(rate)} rows/s).`
      : `The import of ${report.kind} from ${source} failed: ${report.error}`;
  const outcome =
    report.kind === 'customers'
      ? `${count(report.rowsInserted)} new, ${count(report.rowsUpdated)} updated, ` +
        `${count(report.rowsUnchanged)} unchanged, ${count(report.rowsDuplicate)} repeated in the file`
      : `${count(report.rowsInserted)} new, ${count(report.rowsDuplicate)} already imported`;
  if (report.rowsTotal === 0) return `${head}\n  import id  ${report.id}`;
  const lines = [
    head,
    `  rows read  ${count(report.rowsTotal)}`,
    `  accepted   ${count(report.rowsAccepted)} (${outcome})`,
    `  rejected   ${count(report.rowsRejected)}`,
    `  import id  ${report.id}`,
  ];
  if (report.rejections.length > 0) {
    lines.push('First rejected rows:', ...report.rejections.map(describeRejection));
    const more = report.rejectionsTotal - report.rejections.length;
    if (more > 0) lines.push(`  … and ${count(more)} more, stored with import ${report.id}.`);
  }
  return lines.join('\n');
}

function describeRejection(r: Rejection): string {
  const value =
    r.value === null ? '' : ` ${JSON.stringify(r.value.length > 40 ? `${r.value.slice(0, 40)}…` : r.value)}`;
  const where = r.column === null ? '' : ` ${r.column}${value}`;
  return `  line ${r.line}${where}: ${r.reason}`;
}
