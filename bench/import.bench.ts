import { randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream, mkdtempSync, rmSync, statSync } from 'node:fs';
import { once } from 'node:events';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import {
  importCustomers,
  importOrders,
  scanCustomers,
  scanOrders,
  type ImportOptions,
  type ImportReport,
} from '../activities/import/index.ts';
import type { Db } from '../platform/db.ts';
import type { Benchmark } from './types.ts';

/**
 * `npm run bench -- import [--orders 1000000] [--customers 100000] [--batch-size 5000]`
 *
 * Writes synthetic customers and orders CSV files, imports them with the import activities, and
 * measures in the same run two baselines: the CSV parse + validation rate without the database
 * (`scanCustomers`/`scanOrders`), and the same rows inserted with plain multi-row
 * `knex.batchInsert` (no validation, no upsert, no customer lookup). About 0.1% of the generated
 * rows are bad, so the rejection path is part of the measurement.
 *
 * The rows carry a per-run id prefix and are deleted at the end, so a DATABASE_URL database
 * keeps what it had.
 */

function options(args: string[]) {
  const { values } = parseArgs({
    args,
    options: { orders: { type: 'string' }, customers: { type: 'string' }, 'batch-size': { type: 'string' } },
    strict: true,
  });
  const positive = (name: string, value: string | undefined, fallback: number) => {
    const n = value === undefined ? fallback : Number(value);
    if (!Number.isSafeInteger(n) || n < 1) throw new RangeError(`--${name} must be a positive whole number`);
    return n;
  };
  return {
    orders: positive('orders', values.orders, 1_000_000),
    customers: positive('customers', values.customers, 100_000),
    batchSize: positive('batch-size', values['batch-size'], 5_000),
  };
}

/** mulberry32: a small seeded generator, so every run writes the same files. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const firstNames = ['Ana', 'Ben', 'Chloé', 'Dee', 'Eli', 'Fatima', 'Gus', 'Hana', 'Ivan', 'Jo'];
const lastNames = ['López', 'Okafor', 'Martin', 'Nguyen', 'Smith', 'Kowalski', 'Rossi', 'Haddad'];
const categories = [
  'STRAIGHT BOURBON WHISKIES',
  'AMERICAN VODKAS',
  'IMPORTED VODKAS',
  'CANADIAN WHISKIES',
  'SPICED RUM',
  '100% AGAVE TEQUILA',
  'AMERICAN DRY GINS',
  'CREAM LIQUEURS',
  'BLENDED WHISKIES',
  'IMPORTED BRANDIES',
];
const pad = (n: number, width: number) => String(n).padStart(width, '0');

interface Rows {
  customerId(i: number): string;
  customers(): Generator<string[]>;
  orders(): Generator<string[]>;
}

function syntheticRows(prefix: string, customerCount: number, orderCount: number): Rows {
  const customerId = (i: number) => `${prefix}C${pad(i, 7)}`;
  return {
    customerId,
    *customers() {
      const next = random(1);
      for (let i = 1; i <= customerCount; i++) {
        const bad = next() < 0.001;
        const first = firstNames[Math.floor(next() * firstNames.length)]!;
        const last = lastNames[Math.floor(next() * lastNames.length)]!;
        const exchange = 200 + Math.floor(next() * 800);
        yield [
          customerId(i),
          bad ? `customer${i}@` : `customer${i}@example.com`,
          next() < 0.8 ? `(312) ${exchange}-${pad(Math.floor(next() * 10000), 4)}` : '',
          first,
          last,
          next() < 0.6 ? `${1950 + Math.floor(next() * 55)}-${pad(1 + Math.floor(next() * 12), 2)}-15` : '',
          'US',
          next() < 0.7 ? 'yes' : 'no',
          next() < 0.3 ? 'yes' : '',
        ];
      }
    },
    *orders() {
      const next = random(2);
      const start = Date.UTC(2024, 0, 1);
      for (let i = 1; i <= orderCount; i++) {
        const bad = next() < 0.001;
        const customer = bad ? `${prefix}UNKNOWN` : customerId(1 + Math.floor(next() * customerCount));
        const at = new Date(start + Math.floor(next() * 2 * 365 * 24 * 60) * 60_000);
        const dollars = Math.floor(next() * 300) + 5;
        const cents = Math.floor(next() * 100);
        yield [
          `${prefix}O${pad(i, 8)}`,
          customer,
          // Wall-clock time at the store, as tills export it.
          at.toISOString().slice(0, 19),
          next() < 0.5 ? `${dollars}.${pad(cents, 2)}` : `$${dollars.toLocaleString('en-US')}.${pad(cents, 2)}`,
          categories[Math.floor(next() * categories.length)]!,
          String(1 + Math.floor(next() * 6)),
        ];
      }
    },
  };
}

const customerHeader = 'customer_id,email,phone,first_name,last_name,dob,country,email_consent,sms_consent';
const orderHeader = 'order_id,customer_id,ordered_at,total,category,item_count';

async function writeCsv(file: string, header: string, rows: Iterable<string[]>): Promise<number> {
  const out = createWriteStream(file);
  let lines = [header];
  for (const row of rows) {
    lines.push(row.map((v) => (/[",\n]/.test(v) ? `"${v.replaceAll('"', '""')}"` : v)).join(','));
    if (lines.length >= 10_000) {
      if (!out.write(lines.join('\n') + '\n')) await once(out, 'drain');
      lines = [];
    }
  }
  out.end(lines.length > 0 ? lines.join('\n') + '\n' : '');
  await once(out, 'finish');
  return statSync(file).size;
}

const perSecond = (rows: number, ms: number) => Math.round((rows * 1000) / ms);
const mib = (bytes: number) => Math.round((bytes / 2 ** 20) * 10) / 10;
const peakRssMiB = () => mib(process.resourceUsage().maxRSS * 1024);
const ratio = (a: number, b: number) => Math.round((a / b) * 100) / 100;

async function timed<T>(run: () => Promise<T>): Promise<{ result: T; ms: number }> {
  const started = performance.now();
  const result = await run();
  return { result, ms: performance.now() - started };
}

function importFigures(report: ImportReport, ms: number) {
  if (report.status !== 'completed') throw new Error(`The ${report.kind} import failed: ${report.error}`);
  return {
    seconds: Math.round(ms / 100) / 10,
    rowsPerSecond: perSecond(report.rowsTotal, ms),
    accepted: report.rowsAccepted,
    rejected: report.rowsRejected,
    inserted: report.rowsInserted,
    duplicate: report.rowsDuplicate,
  };
}

/** The baseline: plain multi-row INSERTs of rows that are already clean, through knex.batchInsert. */
async function batchInsert(
  db: Db,
  table: string,
  rows: Iterable<Record<string, unknown>>,
  chunkSize: number,
): Promise<{ rows: number; ms: number }> {
  let ms = 0;
  let count = 0;
  let slice: Record<string, unknown>[] = [];
  const flush = async () => {
    const started = performance.now();
    await db.batchInsert(table, slice, chunkSize);
    ms += performance.now() - started;
    count += slice.length;
    slice = [];
  };
  for (const row of rows) {
    slice.push(row);
    if (slice.length >= 50_000) await flush();
  }
  if (slice.length > 0) await flush();
  return { rows: count, ms };
}

const importBenchmark: Benchmark = async ({ db: openDb, log, args }) => {
  const o = options(args);
  const prefix = `bench-${randomBytes(3).toString('hex')}-`;
  const rows = syntheticRows(prefix, o.customers, o.orders);
  const dir = mkdtempSync(path.join(os.tmpdir(), 'lma-import-bench-'));
  const customersFile = path.join(dir, 'customers.csv');
  const ordersFile = path.join(dir, 'orders.csv');
  const importOptions: ImportOptions = {
    source: 'csv',
    defaultPhoneRegion: 'US',
    storeTimeZone: 'America/Chicago',
    batchSize: o.batchSize,
  };
  const importIds: string[] = [];
  let db: Db | undefined;
  try {
    log.info({ dir }, 'writing the CSV files');
    const customersBytes = await writeCsv(customersFile, customerHeader, rows.customers());
    const ordersBytes = await writeCsv(ordersFile, orderHeader, rows.orders());

    log.info('parse + validate only');
    const scanC = await timed(() => scanCustomers(createReadStream(customersFile), importOptions));
    const scanO = await timed(() => scanOrders(createReadStream(ordersFile), importOptions));

    db = await openDb();
    log.info('importing');
    const customers = await timed(() => importCustomers(db!, createReadStream(customersFile), importOptions));
    importIds.push(customers.result.id);
    const orders = await timed(() => importOrders(db!, createReadStream(ordersFile), importOptions));
    importIds.push(orders.result.id);
    const rssAfterImport = peakRssMiB();
    const ordersAgain = await timed(() => importOrders(db!, createReadStream(ordersFile), importOptions));
    importIds.push(ordersAgain.result.id);

    log.info('baseline: knex.batchInsert');
    await db.raw(`delete from orders where external_id like ?`, [`${prefix}%`]);
    await db.raw('vacuum analyze orders');
    const ids = new Map(
      (
        await db('customers')
          .where('external_id', 'like', `${prefix}%`)
          .select<{ id: string; external_id: string }[]>('id', 'external_id')
      ).map((c) => [c.external_id, c.id]),
    );
    const ordersBaseline = await batchInsert(
      db,
      'orders',
      (function* () {
        for (const [id, customer, at, total, category, items] of rows.orders()) {
          const customerId = ids.get(customer!);
          if (!customerId) continue;
          const amount = total!.replace(/[$,]/g, '');
          yield {
            external_id: id,
            customer_id: customerId,
            ordered_at: at,
            total: amount,
            category,
            item_count: Number(items),
          };
        }
      })(),
      o.batchSize,
    );
    await db.raw(`delete from orders where external_id like ?`, [`${prefix}%`]);
    await db.raw(`delete from customers where external_id like ?`, [`${prefix}%`]);
    await db.raw('vacuum analyze orders, customers, consents');
    const customersBaseline = await batchInsert(
      db,
      'customers',
      (function* () {
        for (const [id, email, phone, first, last, dob, country] of rows.customers()) {
          yield {
            external_id: id,
            email,
            phone: phone || null,
            first_name: first,
            last_name: last,
            date_of_birth: dob || null,
            country,
          };
        }
      })(),
      o.batchSize,
    );

    const ordersImport = importFigures(orders.result, orders.ms);
    const customersImport = importFigures(customers.result, customers.ms);
    const parseValidate = {
      customersRowsPerSecond: perSecond(scanC.result.rowsTotal, scanC.ms),
      ordersRowsPerSecond: perSecond(scanO.result.rowsTotal, scanO.ms),
    };
    const baseline = {
      customersRowsPerSecond: perSecond(customersBaseline.rows, customersBaseline.ms),
      ordersRowsPerSecond: perSecond(ordersBaseline.rows, ordersBaseline.ms),
    };
    return {
      customers: o.customers,
      orders: o.orders,
      batchSize: o.batchSize,
      fileMiB: { customers: mib(customersBytes), orders: mib(ordersBytes) },
      parseValidate,
      import: {
        customers: customersImport,
        orders: ordersImport,
        ordersAgain: importFigures(ordersAgain.result, ordersAgain.ms),
      },
      batchInsertBaseline: baseline,
      ratios: {
        ordersImportToBatchInsert: ratio(ordersImport.rowsPerSecond, baseline.ordersRowsPerSecond),
        ordersImportToParseValidate: ratio(ordersImport.rowsPerSecond, parseValidate.ordersRowsPerSecond),
        customersImportToBatchInsert: ratio(customersImport.rowsPerSecond, baseline.customersRowsPerSecond),
        customersImportToParseValidate: ratio(customersImport.rowsPerSecond, parseValidate.customersRowsPerSecond),
      },
      peakRssMiB: { afterImports: rssAfterImport, atEnd: peakRssMiB() },
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
    if (db) {
      await db.raw(`delete from orders where external_id like ?`, [`${prefix}%`]);
      await db.raw(`delete from customers where external_id like ?`, [`${prefix}%`]);
      if (importIds.length > 0) await db('imports').whereIn('id', importIds).delete();
    }
  }
};

export default importBenchmark;
