/**
 * The scoring pipeline end to end on a generated store: features in SQL, the model fits, the
 * write-back and the finish, each activity run as the scoring worker runs it (outside Temporal,
 * in a mock activity context), in a child process so that its peak memory is its own. The
 * baseline, measured in the same run, is one grouped pass over the same orders table. The fitted
 * parameters are compared with the ones the store was drawn from, and with a fit on histories
 * drawn exactly from the models for the same customers' observation windows.
 *
 *   npm run bench -- scoring [--customers 1000000] [--seed 42] [--chunk-size N] [--batch-orders 20000] [--reuse-store] [--rescore]
 *
 * Loading the store is timed separately and is not part of the scoring figure. With
 * `--reuse-store` and a DATABASE_URL whose database already holds the store's customers (from an
 * earlier run with the same --customers and --seed), the load is skipped: the store is generated
 * again in memory for the recovery figures only, and the scoring tables are emptied as before.
 * `--rescore` scores the store a second time, as the nightly run does when nothing changed: the
 * scores it swaps out exist already.
 */
import { fork } from 'node:child_process';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import type { Knex } from 'knex';
import { scoringSettings } from '../activities/settings.ts';
import {
  compressHistories,
  compressSpend,
  fitBgNbd,
  fitGammaGamma,
  ONE_DAY,
  type BgNbdParams,
  type FitResult,
  type GammaGammaParams,
} from '../domain/scoring/index.ts';
import { simulateHistories, simulateRepeatSpend } from '../domain/scoring/simulate.ts';
import { parseConfig } from '../platform/config.ts';
import type { Db } from '../platform/db.ts';
import { bulkLoadStore, type BulkLoadResult } from './datagen/bulk-load.ts';
import { generateLiquorStore, type GeneratedCustomer } from './datagen/liquor-store.ts';
import { DAY } from './datagen/local-time.ts';
import { mixSeed, Random } from './datagen/random.ts';
import type { ScoringWorkerFigures, ScoringWorkerInput } from './scoring-worker.ts';
import type { Benchmark } from './types.ts';

// Fixed, as in the seed benchmark, so every run generates the same store.
const asOf = new Date('2026-11-27T06:00:00Z');

function options(args: string[]) {
  const { values } = parseArgs({
    args,
    options: {
      customers: { type: 'string' },
      seed: { type: 'string' },
      'chunk-size': { type: 'string' },
      'batch-orders': { type: 'string' },
      'reuse-store': { type: 'boolean' },
      rescore: { type: 'boolean' },
    },
    strict: true,
  });
  const positive = (name: string, value: string | undefined, fallback?: number) => {
    const n = value === undefined ? fallback : Number(value);
    if (n !== undefined && (!Number.isSafeInteger(n) || n < 1)) {
      throw new RangeError(`--${name} must be a positive whole number`);
    }
    return n;
  };
  return {
    customers: positive('customers', values.customers, 1_000_000)!,
    seed: positive('seed', values.seed, 42)!,
    /** Unset: the scoring activities' own default. */
    chunkSize: positive('chunk-size', values['chunk-size']),
    batchOrders: positive('batch-orders', values['batch-orders'], 20_000)!,
    reuseStore: values['reuse-store'] ?? false,
    rescore: values.rescore ?? false,
  };
}

const seconds = (ms: number) => Math.round(ms) / 1000;
const round = (x: number, places: number) => Number(x.toFixed(places));
const mib = (bytes: number) => Math.round(bytes / 2 ** 20);
const loadAverage = () => os.loadavg().map((l) => round(l, 2));

async function timed<T>(work: () => Promise<T>): Promise<{ result: T; ms: number }> {
  const started = performance.now();
  const result = await work();
  return { result, ms: performance.now() - started };
}

/** The baseline: one pass over orders, grouped by customer, nothing returned but totals. */
async function groupedScan(db: Db): Promise<{ ms: number; orders: number }> {
  const { result, ms } = await timed(() =>
    db.raw<{ rows: { customers: number; orders: number; total: string }[] }>(
      `select count(*) as customers, sum(n)::bigint as orders, sum(s) as total
       from (select customer_id, count(*) as n, sum(total) as s from orders group by 1) g`,
    ),
  );
  return { ms, orders: Number(result.rows[0]!.orders) };
}

/** Runs the scoring activities in a process of their own (bench/scoring-worker.ts). */
function runScoringWorker(input: ScoringWorkerInput): Promise<ScoringWorkerFigures> {
  const worker = fileURLToPath(new URL('./scoring-worker.ts', import.meta.url));
  return new Promise((resolve, reject) => {
    // The worker's stdout carries its logs; this process's stdout is for the JSON document.
    const child = fork(worker, [], { stdio: ['ignore', 2, 2, 'ipc'] });
    child.send(input);
    let figures: ScoringWorkerFigures | undefined;
    child.on('message', (m) => (figures = m as ScoringWorkerFigures));
    child.on('error', reject);
    child.on('exit', (code, signal) =>
      figures && code === 0
        ? resolve(figures)
        : reject(new Error(`the scoring worker exited with ${signal ?? `code ${code}`} before reporting`)),
    );
  });
}

type Params = Record<string, number>;

/** Relative errors of fitted parameters, and of the means they imply, against the truth. */
function recovery(fitted: Params, truth: Params, implied: (p: Params) => Params) {
  const errors = (f: Params, t: Params) =>
    Object.fromEntries(Object.keys(t).map((k) => [k, round(f[k]! / t[k]! - 1, 4)]));
  const rounded = (p: Params) => Object.fromEntries(Object.entries(p).map(([k, v]) => [k, round(v, 4)]));
  return {
    fitted: rounded(fitted),
    relativeError: errors(fitted, truth),
    implied: rounded(implied(fitted)),
    impliedRelativeError: errors(implied(fitted), implied(truth)),
  };
}

const purchaseMeans = (p: Params) => ({ purchasesPerDay: p.r! / p.alpha!, dropout: p.a! / (p.a! + p.b!) });
const spendMeans = (p: Params) => ({ orderValue: (p.p! * p.gamma!) / (p.q! - 1) });

function controlRecovery<P extends object>(fit: FitResult<P>, truth: P, implied: (p: Params) => Params) {
  if (!fit.converged) return { converged: false, reason: fit.reason };
  return { rows: fit.rows, ...recovery(fit.params as Params, truth as Params, implied) };
}

const scoringBenchmark: Benchmark = async ({ db: openDb, log, args }) => {
  const o = options(args);
  const loadAvg = { atStart: loadAverage(), afterLoad: [] as number[], afterScoring: [] as number[] };
  const store = generateLiquorStore({ seed: o.seed, customerCount: o.customers, asOf });
  const end = store.options.end.getTime();
  const truth = {
    bgnbd: { ...store.options.purchaseModel, alpha: store.options.purchaseModel.alpha * 7 } as BgNbdParams,
    gammaGamma: { ...store.options.spendModel } as GammaGammaParams,
  };

  const db = await openDb();
  const storeLoaded = async () => {
    if (!o.reuseStore) return false;
    const [{ n }] = (await db('customers').count({ n: '*' })) as [{ n: string }];
    return Number(n) === o.customers;
  };
  const reused = await storeLoaded();
  // What the generator drew, for the recovery check: each customer's window and purchases.
  const windowDays = new Float64Array(o.customers);
  const drawn = { customers: 0, modelRepeatPurchases: 0, aliveAtEnd: 0 };
  const onCustomer = ({ truth: t }: GeneratedCustomer) => {
    windowDays[drawn.customers++] = (end - t.firstPurchaseAt.getTime()) / DAY;
    drawn.modelRepeatPurchases += t.modelOrderCount - 1;
    if (t.aliveAtEnd) drawn.aliveAtEnd++;
  };
  let loaded: Omit<BulkLoadResult, 'statements'>;
  if (reused) {
    log.info({ customers: o.customers }, 'reusing the loaded store; generating it again for the recovery figures');
    await db.raw('truncate score_runs cascade');
    let orders = 0;
    for (const c of store.customers()) {
      onCustomer(c);
      orders += c.orders.length;
    }
    loaded = { customers: o.customers, orders, elapsedMs: 0, rebuildMs: 0, waitingMs: 0 };
  } else {
    await db.raw('truncate customers, orders, consents, score_runs cascade');
    log.info({ customers: o.customers }, 'generating and loading the store');
    loaded = await bulkLoadStore(db, store, { batchOrders: o.batchOrders, onCustomer });
  }
  const vacuum = await timed(() => db.raw('vacuum analyze customers, orders'));
  loadAvg.afterLoad = loadAverage();
  const sizes = (
    await db.raw<{ rows: { orders: string; orders_heap: string; customers: string }[] }>(
      `select pg_total_relation_size('orders') as orders, pg_relation_size('orders') as orders_heap,
              pg_total_relation_size('customers') as customers`,
    )
  ).rows[0]!;

  log.info('baseline: one grouped pass over orders');
  const baselineBefore = await groupedScan(db);
  if (baselineBefore.orders !== loaded.orders) {
    throw new Error(`orders has ${baselineBefore.orders} rows, loaded ${loaded.orders}`);
  }

  // The scoring worker's settings at their defaults, in the store's time zone.
  const scoring = {
    ...scoringSettings(parseConfig({ STORE_TIME_ZONE: store.options.timeZone })),
    ...(o.chunkSize ? { chunkSize: o.chunkSize } : {}),
  };
  const connection = (db.client.config as Knex.Config).connection as { connectionString: string };
  log.info('scoring, in a worker process');
  const worker = await runScoringWorker({
    databaseUrl: connection.connectionString,
    asOf: asOf.toISOString(),
    scoring,
  });
  loadAvg.afterScoring = loadAverage();
  if (worker.customers.features !== o.customers || worker.customers.scored !== o.customers) {
    throw new Error(`${o.customers} customers, but ${JSON.stringify(worker.customers)}`);
  }

  log.info('baseline again, after scoring');
  const baselineAfter = await groupedScan(db);
  const baselineMs = Math.min(baselineBefore.ms, baselineAfter.ms);

  const fits = (await db('model_fits')
    .where({ run_id: worker.runId })
    .select('model', 'params', 'duration_ms', 'sample_size', 'distinct_rows', 'message')) as {
    model: string;
    params: Params;
    duration_ms: number;
    sample_size: number;
    distinct_rows: number;
    message: string;
  }[];
  const fitOf = (model: string) => {
    const fit = fits.find((f) => f.model === model);
    if (!fit) throw new Error(`no ${model} fit in model_fits`);
    const { params, duration_ms, sample_size, distinct_rows, message } = fit;
    return { params, fitSeconds: duration_ms / 1000, customers: sample_size, rows: distinct_rows, message };
  };
  const bg = fitOf('bgnbd');
  const gg = fitOf('gamma_gamma');
  const summed = (
    await db.raw<{ rows: { x: string; paid: string }[] }>(
      'select sum(x) as x, sum(paid_repeat_days) as paid from customer_features where run_id = ?',
      [worker.runId],
    )
  ).rows[0]!;

  const rescoring = o.rescore
    ? await (async () => {
        log.info('scoring again, as a nightly run over unchanged data');
        const again = await runScoringWorker({
          databaseUrl: connection.connectionString,
          asOf: asOf.toISOString(),
          scoring,
        });
        return { totalSeconds: again.totalSeconds, phases: again.phases, maxRssMiB: again.maxRssMiB };
      })()
    : undefined;

  // The control: the same customers' windows, histories drawn exactly from the true models
  // (continuous time, one order per purchase, no extras), through the same compression and fits.
  log.info('control: fits on histories drawn exactly from the models');
  const random = new Random(mixSeed(o.seed, 0xc0de));
  const control = await timed(async () => {
    const histories = simulateHistories(truth.bgnbd, windowDays, random);
    const spend = simulateRepeatSpend(truth.gammaGamma, histories.x, random);
    return {
      bgnbd: fitBgNbd(compressHistories(histories, ONE_DAY.days)),
      gammaGamma: fitGammaGamma(compressSpend({ x: histories.x, m: spend })),
    };
  });

  const phaseSeconds = (name: keyof ScoringWorkerFigures['phases']) => worker.phases[name].seconds;
  return {
    store: {
      seed: o.seed,
      asOf: asOf.toISOString(),
      timeZone: store.options.timeZone,
      customers: loaded.customers,
      orders: loaded.orders,
      ordersPerCustomer: round(loaded.orders / loaded.customers, 2),
      ordersTableMiB: mib(Number(sizes.orders)),
      ordersHeapMiB: mib(Number(sizes.orders_heap)),
      customersTableMiB: mib(Number(sizes.customers)),
    },
    load: {
      reused,
      what: 'generate + insert … select from unnest, one batch in flight, indexes rebuilt after; not in the scoring figure',
      ordersPerStatement: o.batchOrders,
      seconds: seconds(loaded.elapsedMs),
      waitingForPostgresSeconds: seconds(loaded.waitingMs),
      rebuildIndexesSeconds: seconds(loaded.rebuildMs),
      ordersPerSecond: Math.round((loaded.orders * 1000) / loaded.elapsedMs),
      vacuumAnalyzeSeconds: seconds(vacuum.ms),
    },
    baseline: {
      what: 'select customer_id, count(*), sum(total) from orders group by 1 (only totals returned)',
      beforeScoringSeconds: seconds(baselineBefore.ms),
      afterScoringSeconds: seconds(baselineAfter.ms),
    },
    scoring: {
      chunkSize: scoring.chunkSize ?? 'default',
      totalSeconds: worker.totalSeconds,
      phases: worker.phases,
      featuresOverBaseline: round(phaseSeconds('features') / (baselineMs / 1000), 1),
      totalOverBaseline: round(worker.totalSeconds / (baselineMs / 1000), 1),
      heartbeats: worker.heartbeats,
      rescoring,
      bgnbdFitSeconds: bg.fitSeconds,
      gammaGammaFitSeconds: gg.fitSeconds,
    },
    memory: {
      workerRssAtStartMiB: worker.rssAtStartMiB,
      workerMaxRssMiB: worker.maxRssMiB,
      benchmarkProcessMaxRssMiB: Math.round(process.resourceUsage().maxRSS / 1024),
      note: 'the worker process only runs the scoring; PostgreSQL runs in its own processes',
    },
    recovery: {
      units: 'days (the generator draws per week: α_days = 7 α_weeks; r, a, b, p, q, γ unchanged)',
      drawn: { repeatPurchases: drawn.modelRepeatPurchases, aliveAtEnd: drawn.aliveAtEnd },
      features: { repeatPurchaseDays: Number(summed.x), paidRepeatDays: Number(summed.paid) },
      bgnbd: {
        truth: truth.bgnbd,
        impliedTruth: purchaseMeans(truth.bgnbd as unknown as Params),
        customers: bg.customers,
        rows: bg.rows,
        message: bg.message,
        ...recovery(bg.params, truth.bgnbd as unknown as Params, purchaseMeans),
      },
      gammaGamma: {
        truth: truth.gammaGamma,
        impliedTruth: spendMeans(truth.gammaGamma as unknown as Params),
        customers: gg.customers,
        rows: gg.rows,
        message: gg.message,
        ...recovery(gg.params, truth.gammaGamma as unknown as Params, spendMeans),
      },
      control: {
        what: 'same windows, histories drawn exactly from the models, same compression and fits',
        seconds: seconds(control.ms),
        bgnbd: controlRecovery(control.result.bgnbd, truth.bgnbd, purchaseMeans),
        gammaGamma: controlRecovery(control.result.gammaGamma, truth.gammaGamma, spendMeans),
      },
    },
    loadAverage: loadAvg,
  };
};

export default scoringBenchmark;
