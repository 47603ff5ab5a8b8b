import { parseArgs } from 'node:util';
import type { Db } from '../platform/db.ts';
import { generateLiquorStore } from './datagen/liquor-store.ts';
import { seedDemo } from './datagen/seed.ts';
import type { Benchmark } from './types.ts';

/**
 * `npm run bench -- seed [--orders 200000] [--baseline-rows 5000] [--seed 42]`
 *
 * How fast the demo seeder fills the customers/orders/consents tables with batched multi-row
 * INSERTs (1,000 rows each, one transaction per 1,000 customers), against the baseline of one
 * INSERT per row, measured in the same run. Both include generating the rows, as `seed:demo` does.
 */

// Fixed, so every run generates the same store.
const asOf = new Date('2026-11-27T06:00:00Z');

function options(args: string[]) {
  const { values } = parseArgs({
    args,
    options: { orders: { type: 'string' }, 'baseline-rows': { type: 'string' }, seed: { type: 'string' } },
    strict: true,
  });
  const positive = (name: string, value: string | undefined, fallback: number) => {
    const n = value === undefined ? fallback : Number(value);
    if (!Number.isSafeInteger(n) || n < 1) throw new RangeError(`--${name} must be a positive whole number`);
    return n;
  };
  return {
    orders: positive('orders', values.orders, 200_000),
    baselineRows: positive('baseline-rows', values['baseline-rows'], 5_000),
    seed: positive('seed', values.seed, 42),
  };
}

const perSecond = (rows: number, ms: number) => Math.round((rows * 1000) / ms);
const round = (x: number, places = 1) => Math.round(x * 10 ** places) / 10 ** places;

async function emptyTables(db: Db): Promise<void> {
  await db.raw('truncate customers, orders, consents cascade');
  await db.raw('vacuum analyze customers, orders, consents');
}

/** The baseline: what a loop of single-row INSERTs (each its own transaction) achieves. */
async function insertRowByRow(db: Db, seed: number, customerCount: number): Promise<{ rows: number; ms: number }> {
  const started = performance.now();
  let rows = 0;
  for (const c of generateLiquorStore({ seed, customerCount, asOf }).customers()) {
    await db('customers').insert(c.customer).onConflict('external_id').ignore();
    for (const order of c.orders) await db('orders').insert(order).onConflict('external_id').ignore();
    for (const consent of c.consents) await db('consents').insert(consent);
    rows += 1 + c.orders.length + c.consents.length;
  }
  return { rows, ms: performance.now() - started };
}

const seedBenchmark: Benchmark = async ({ db: openDb, log, args }) => {
  const o = options(args);

  // Size the store: enough customers for the requested number of orders.
  const pilot = [...generateLiquorStore({ seed: o.seed, customerCount: 2_000, asOf }).customers()];
  const ordersPerCustomer = pilot.reduce((n, c) => n + c.orders.length, 0) / pilot.length;
  const customerCount = Math.ceil(o.orders / ordersPerCustomer);
  let sampleCustomers = 0;
  for (let rows = 0; rows < o.baselineRows && sampleCustomers < pilot.length; sampleCustomers++) {
    const c = pilot[sampleCustomers]!;
    rows += 1 + c.orders.length + c.consents.length;
  }

  log.info({ customerCount }, 'generating without the database');
  const started = performance.now();
  const generated = { customers: 0, orders: 0, consents: 0 };
  for (const c of generateLiquorStore({ seed: o.seed, customerCount, asOf }).customers()) {
    generated.customers++;
    generated.orders += c.orders.length;
    generated.consents += c.consents.length;
  }
  const generatorMs = performance.now() - started;
  const generatedRows = generated.customers + generated.orders + generated.consents;

  const db = await openDb();
  await emptyTables(db);
  log.info('batched inserts, full store');
  const full = await seedDemo(db, { seed: o.seed, customerCount, asOf });
  const fullRows = full.customers.inserted + full.orders.inserted + full.consents.inserted;
  if (fullRows !== generatedRows) throw new Error(`inserted ${fullRows} rows, generated ${generatedRows}`);

  await emptyTables(db);
  log.info({ sampleCustomers }, 'row-by-row inserts, sample');
  const rowByRow = await insertRowByRow(db, o.seed, sampleCustomers);

  await emptyTables(db);
  log.info({ sampleCustomers }, 'batched inserts, same sample');
  const sample = await seedDemo(db, { seed: o.seed, customerCount: sampleCustomers, asOf });
  const sampleRows = sample.customers.inserted + sample.orders.inserted + sample.consents.inserted;
  if (sampleRows !== rowByRow.rows)
    throw new Error(`batched sample has ${sampleRows} rows, row-by-row ${rowByRow.rows}`);

  const batchedRate = perSecond(fullRows, full.elapsedMs);
  const rowByRowRate = perSecond(rowByRow.rows, rowByRow.ms);
  const sampleRate = perSecond(sampleRows, sample.elapsedMs);
  return {
    store: { seed: o.seed, asOf: asOf.toISOString(), ...generated, ordersPerCustomer: round(ordersPerCustomer, 2) },
    generator: {
      rows: generatedRows,
      ms: Math.round(generatorMs),
      rowsPerSecond: perSecond(generatedRows, generatorMs),
    },
    batchedInserts: {
      rows: fullRows,
      orders: full.orders.inserted,
      ms: Math.round(full.elapsedMs),
      rowsPerSecond: batchedRate,
      ordersPerSecond: perSecond(full.orders.inserted, full.elapsedMs),
    },
    rowByRowBaseline: { rows: rowByRow.rows, ms: Math.round(rowByRow.ms), rowsPerSecond: rowByRowRate },
    batchedInsertsSameSample: { rows: sampleRows, ms: Math.round(sample.elapsedMs), rowsPerSecond: sampleRate },
    speedUp: round(batchedRate / rowByRowRate),
    speedUpSameSample: round(sampleRate / rowByRowRate),
    peakRssMiB: Math.round(process.resourceUsage().maxRSS / 1024),
  };
};

export default seedBenchmark;
