import { parseArgs } from 'node:util';
import { z } from 'zod';
import { LocalTime } from '../../bench/datagen/local-time.ts';
import { seedDemo, type SeedDemoResult } from '../../bench/datagen/seed.ts';
import { config } from '../config.ts';
import { createDb } from '../db.ts';
import { createLogger } from '../logger.ts';
import { migrateToLatest } from '../migrate.ts';
import { databaseForCli } from '../postgres.ts';

// `npm run seed:demo [-- --customers 2000 --seed 42 --as-of 2026-11-26]`: a synthetic liquor
// store's customers, two years of orders and consents, for demos and trying the platform out.

const usage = `Usage: npm run seed:demo -- [--customers N] [--seed N] [--as-of YYYY-MM-DD]

  --customers N       how many customers to generate (default 2000, at most 1000000)
  --seed N            the random seed; the same seed gives the same store (default 42)
  --as-of YYYY-MM-DD  the last day with orders, in STORE_TIME_ZONE (default yesterday)

Customers already in the database (matched on external id) are left alone, so running it
again with the same arguments changes nothing.`;

const isoDate = z.iso.date({ error: 'must be a real date, as YYYY-MM-DD' });
const argsSchema = z.object({
  customers: z.coerce
    .number({ error: 'must be a number' })
    .int('must be a whole number')
    .min(1, 'must be at least 1')
    .max(1_000_000, 'must be at most 1,000,000')
    .default(2_000),
  seed: z.coerce
    .number({ error: 'must be a number' })
    .int('must be a whole number')
    .min(0, 'must not be negative')
    .max(Number.MAX_SAFE_INTEGER, 'is too large')
    .default(42),
  'as-of': isoDate.optional(),
});

type Arguments = z.infer<typeof argsSchema>;

/** The arguments, 'help', or undefined after printing what is wrong with them. */
function parseArguments(argv: string[]): Arguments | 'help' | undefined {
  let values: Record<string, unknown>;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        customers: { type: 'string' },
        seed: { type: 'string' },
        'as-of': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (err) {
    console.error(`${(err as Error).message}\n\n${usage}`);
    return undefined;
  }
  if (values.help) return 'help';
  const { help: _, ...rest } = values;
  const parsed = argsSchema.safeParse(rest);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  --${i.path.join('.')}: ${i.message}`);
    console.error(`Invalid arguments:\n${lines.join('\n')}\n\n${usage}`);
    return undefined;
  }
  return parsed.data;
}

/** Local midnight after the last day with orders: the end of the observation window. */
function windowEnd(lastDay: string, clock: LocalTime): Date {
  const [y, m, d] = lastDay.split('-').map(Number);
  return new Date(clock.toInstant(Date.UTC(y!, m! - 1, d! + 1)));
}

const count = (n: number) => n.toLocaleString('en-US');

function summary(r: SeedDemoResult, clock: LocalTime): string {
  const first = clock.date(r.store.start.getTime());
  const last = clock.date(r.store.end.getTime() - 1);
  const width = Math.max(...[r.customers.inserted, r.orders.inserted, r.consents.inserted].map((n) => count(n).length));
  const pad = (n: number) => count(n).padStart(width);
  return [
    `Demo store seeded in ${(r.elapsedMs / 1000).toFixed(1)} s (seed ${r.store.seed}; orders ${first} – ${last}, ${r.store.timeZone}):`,
    `  customers  ${pad(r.customers.inserted)} inserted, ${count(r.customers.alreadyPresent)} already present`,
    `  orders     ${pad(r.orders.inserted)} inserted, ${count(r.orders.alreadyPresent)} already present`,
    `  consents   ${pad(r.consents.inserted)} inserted`,
    ...(r.customers.inserted === 0 ? ['Nothing new: every customer was already in the database.'] : []),
  ].join('\n');
}

const args = parseArguments(process.argv.slice(2));
if (args === 'help') {
  console.log(usage);
} else if (!args) {
  process.exitCode = 2;
} else {
  const cfg = config();
  const log = createLogger(cfg.LOG_LEVEL);
  const clock = new LocalTime(cfg.STORE_TIME_ZONE);
  const lastDay = args['as-of'] ?? clock.date(Date.now() - 24 * 3_600_000);
  const database = await databaseForCli(cfg, log);
  const db = createDb(database.url, 2);
  try {
    await migrateToLatest(db);
    console.log(`Seeding ${count(args.customers)} customers (seed ${args.seed}, orders up to ${lastDay})…`);
    const result = await seedDemo(db, {
      seed: args.seed,
      customerCount: args.customers,
      asOf: windowEnd(lastDay, clock),
      timeZone: cfg.STORE_TIME_ZONE,
      onProgress: (p) => {
        if (p.customersDone < p.customerCount) {
          const percent = Math.floor((100 * p.customersDone) / p.customerCount);
          console.log(`  ${count(p.customersDone)} / ${count(p.customerCount)} customers (${percent}%)`);
        }
      },
    });
    console.log(summary(result, clock));
  } catch (err) {
    console.error(`Seeding failed: ${(err as Error).message}`);
    process.exitCode = 1;
  } finally {
    await db.destroy();
    await database.stop();
  }
}
