import { heartbeat, activityInfo, ApplicationFailure } from '@temporalio/activity';
import {
  compressHistories,
  compressSpend,
  fitBgNbd,
  fitGammaGamma,
  ONE_DAY,
  RFM_SEGMENTS,
  scoreCustomer,
  scoreRfmColumns,
  type BgNbdParams,
  type GammaGammaParams,
  type NightWindow,
  type ScoringModel,
} from '../domain/scoring/index.ts';
import type { Db } from '../platform/db.ts';
import type { ActivityDeps } from './index.ts';

/**
 * The scoring pipeline's steps. Features are computed in SQL (one pass over orders per run, in
 * customer-id chunks); the models are fitted and every customer scored by the pure functions in
 * domain/scoring; scores are written back in chunks. Each step heartbeats its cursor, so a retry
 * after a crash resumes where the last attempt stopped.
 */

export interface ScoringSettings {
  timeZone: string;
  nightWindow: NightWindow;
  nightBuyerShare: number;
  horizonMonths: number;
  monthlyDiscountRate: number;
  /** Customers per SQL chunk and per write-back batch. */
  chunkSize?: number;
}

export interface ScoringRunInput {
  trigger: 'manual' | 'import' | 'schedule';
  workflowId: string;
  /** ISO instant the scores are "as of"; the workflow fixes it once so retries agree. */
  asOf: string;
}

export interface FittedModels {
  model: ScoringModel;
  bgnbd: { converged: boolean; reason?: string; customers: number; rows: number };
  gammaGamma: { converged: boolean; reason?: string; customers: number; rows: number };
}

const UNIT = 'days' as const;

function nightCondition(w: NightWindow): string {
  return w.fromHour < w.toHour
    ? `hour >= ${w.fromHour} and hour < ${w.toHour}`
    : `(hour >= ${w.fromHour} or hour < ${w.toHour})`;
}

/** Next chunk boundary: the id `size` customers after `after`, or undefined at the end. */
async function chunkEnd(db: Db, after: string | null, size: number): Promise<string | undefined> {
  const q = db('customers')
    .select('id')
    .orderBy('id')
    .offset(size - 1)
    .limit(1);
  if (after) q.where('id', '>', after);
  const row = await q.first();
  return row?.id;
}

export function createScoringActivities({ db, log, scoring }: Pick<ActivityDeps, 'db' | 'log' | 'scoring'>) {
  const chunkSize = scoring.chunkSize ?? 50_000;

  return {
    async startScoringRun(input: ScoringRunInput): Promise<string> {
      const [run] = await db('score_runs')
        .insert({ trigger: input.trigger, workflow_id: input.workflowId, as_of: input.asOf })
        .returning('id');
      return run.id;
    },

    /** Summarises every customer's orders into customer_features, chunk by chunk. */
    async computeCustomerFeatures(runId: string, asOf: string): Promise<number> {
      const resumeFrom = (activityInfo().heartbeatDetails as { after: string | null } | undefined)?.after ?? null;
      if (!resumeFrom) await db('customer_features').delete();
      let after = resumeFrom;
      for (;;) {
        const end = await chunkEnd(db, after, chunkSize);
        await db.transaction(async (trx) => {
          // The chunk's orders feed three aggregates; PostgreSQL estimates ~200 groups for each and
          // joins them with a nested loop, which is quadratic in the chunk (73 s instead of 4 s for
          // 50,000 customers in the benchmark). Hash joins and room to hash are what this needs.
          await trx.raw('set local enable_nestloop = off');
          await trx.raw(`set local work_mem = '128MB'`);
          await trx.raw(
            `
          insert into customer_features (customer_id, run_id, orders, purchase_days, x, t_x, t_cal, days_since_last,
            total_spent, paid_repeat_days, mean_repeat_spend, night_orders, primary_category, first_day, last_day,
            first_order_at, last_order_at)
          with o as (
            select customer_id, ordered_at, total, category,
                   (ordered_at at time zone :tz)::date as day,
                   extract(hour from ordered_at at time zone :tz)::int as hour
            from orders
            where ordered_at <= cast(:asOf as timestamptz)
              ${after ? 'and customer_id > :after' : ''} ${end ? 'and customer_id <= :end' : ''}
          ),
          d as (
            select customer_id, day, sum(total) as amount, min(day) over (partition by customer_id) as first_day
            from o group by customer_id, day
          ),
          days as (
            select customer_id, min(day) as first_day, max(day) as last_day, count(*)::int as purchase_days,
                   count(*) filter (where day > first_day and amount > 0)::int as paid_repeat_days,
                   coalesce(avg(amount) filter (where day > first_day and amount > 0), 0) as mean_repeat_spend
            from d group by customer_id
          ),
          totals as (
            select customer_id, count(*)::int as orders, sum(total) as total_spent,
                   min(ordered_at) as first_at, max(ordered_at) as last_at,
                   count(*) filter (where ${nightCondition(scoring.nightWindow)})::int as night_orders
            from o group by customer_id
          ),
          cat as (
            select distinct on (customer_id) customer_id, category
            from (select customer_id, category, sum(total) as spent, count(*) as n
                  from o where category is not null group by customer_id, category) c
            order by customer_id, spent desc, n desc, category
          )
          select t.customer_id, :run, t.orders, d.purchase_days, d.purchase_days - 1, d.last_day - d.first_day,
                 (cast(:asOf as timestamptz) at time zone :tz)::date - d.first_day,
                 (cast(:asOf as timestamptz) at time zone :tz)::date - d.last_day, t.total_spent, d.paid_repeat_days,
                 round(d.mean_repeat_spend, 2), t.night_orders, c.category, d.first_day, d.last_day, t.first_at, t.last_at
          from totals t join days d using (customer_id) left join cat c using (customer_id)
          `,
            { tz: scoring.timeZone, asOf, after, end: end ?? null, run: runId },
          );
        });
        if (!end) break;
        after = end;
        heartbeat({ after });
      }
      const [{ n }] = (await db('customer_features').count({ n: '*' })) as [{ n: number }];
      return Number(n);
    },

    /**
     * Fits BG/NBD on every customer and Gamma-Gamma on repeat buyers. A fit that fails keeps the
     * last parameters that worked (and says so in model_fits); with none, the run fails.
     */
    async fitScoringModels(runId: string): Promise<FittedModels> {
      const cols = await db.raw<{
        rows: { x: number[]; tx: number[]; t: number[]; paid: number[]; m: string[] }[];
      }>(
        `select coalesce(array_agg(x), '{}') as x, coalesce(array_agg(t_x), '{}') as tx, coalesce(array_agg(t_cal), '{}') as t,
                coalesce(array_agg(paid_repeat_days), '{}') as paid, coalesce(array_agg(mean_repeat_spend), '{}') as m
         from customer_features where run_id = ?`,
        [runId],
      );
      const c = cols.rows[0]!;
      const previous = await previousParams(db);

      const bgStarted = Date.now();
      const bgFit = fitBgNbd(compressHistories({ x: c.x, tx: c.tx, T: c.t }, ONE_DAY[UNIT]), {
        start: previous.bgnbd ?? undefined,
      });
      const bgMs = Date.now() - bgStarted;
      const ggStarted = Date.now();
      const ggFit = fitGammaGamma(compressSpend({ x: c.paid, m: c.m.map(Number) }), {
        start: previous.gammaGamma ?? undefined,
      });
      const ggMs = Date.now() - ggStarted;

      const bgnbd = bgFit.converged ? bgFit.params : previous.bgnbd;
      const gammaGamma = ggFit.converged ? ggFit.params : previous.gammaGamma;
      const record = (model: 'bgnbd' | 'gamma_gamma', fit: typeof bgFit | typeof ggFit, used: unknown, ms: number) => ({
        run_id: runId,
        model,
        params: JSON.stringify(fit.converged ? fit.params : (used ?? {})),
        log_likelihood: fit.converged ? fit.logLikelihood : null,
        sample_size: fit.customers,
        distinct_rows: fit.rows,
        converged: fit.converged,
        message: fit.converged ? `converged in ${fit.iterations} iterations` : fit.reason,
        used: fit.converged,
        time_unit: UNIT,
        duration_ms: ms,
      });
      await db('model_fits').insert([
        record('bgnbd', bgFit, bgnbd, bgMs),
        record('gamma_gamma', ggFit, gammaGamma, ggMs),
      ]);
      if (!bgFit.converged) log.warn({ reason: bgFit.reason }, 'BG/NBD fit failed; keeping the previous parameters');
      if (!ggFit.converged)
        log.warn({ reason: ggFit.reason }, 'Gamma-Gamma fit failed; keeping the previous parameters');
      if (!bgnbd || !gammaGamma) {
        throw ApplicationFailure.nonRetryable(
          `No usable model yet: ${[!bgnbd && `BG/NBD (${!bgFit.converged ? bgFit.reason : ''})`, !gammaGamma && `Gamma-Gamma (${!ggFit.converged ? ggFit.reason : ''})`].filter(Boolean).join(', ')}`,
          'ModelFitFailed',
        );
      }
      const summary = (f: typeof bgFit | typeof ggFit) => ({
        converged: f.converged,
        ...(f.converged ? {} : { reason: f.reason }),
        customers: f.customers,
        rows: f.rows,
      });
      return { model: { unit: UNIT, bgnbd, gammaGamma }, bgnbd: summary(bgFit), gammaGamma: summary(ggFit) };
    },

    /**
     * Scores every customer and writes the scores back in chunks. RFM needs the whole base (its
     * quintiles are relative), so its three columns are loaded for everyone; the rest is read
     * chunk by chunk in customer-id order, which is also the order of the RFM columns.
     */
    async writeCustomerScores(runId: string, model: ScoringModel): Promise<number> {
      const resume = activityInfo().heartbeatDetails as { written: number; lastId: string } | undefined;
      const { rows } = await db.raw<{ rows: { recency: number[]; purchases: number[]; spent: string[] }[] }>(
        `select coalesce(array_agg(days_since_last order by customer_id), '{}') as recency,
                coalesce(array_agg(purchase_days order by customer_id), '{}') as purchases,
                coalesce(array_agg(total_spent order by customer_id), '{}') as spent
         from customer_features where run_id = ?`,
        [runId],
      );
      const base = rows[0]!;
      const n = base.recency.length;
      if (n === 0) return 0;
      const rfm = scoreRfmColumns({
        daysSinceLastPurchase: base.recency,
        purchases: base.purchases,
        totalSpent: base.spent.map(Number),
      });
      const segmentIds = new Map<string, string>(
        (await db('segments').select('id', 'key')).map((s: { id: string; key: string }) => [s.key, s.id]),
      );
      const settings = { horizonMonths: scoring.horizonMonths, monthlyDiscountRate: scoring.monthlyDiscountRate };

      let written = resume?.written ?? 0;
      let lastId = resume?.lastId ?? null;
      while (written < n) {
        const q = db('customer_features').where({ run_id: runId }).orderBy('customer_id').limit(chunkSize);
        if (lastId) q.where('customer_id', '>', lastId);
        const chunk = (await q) as FeatureRow[];
        if (chunk.length === 0) break;
        const batch = new ScoreBatch();
        chunk.forEach((row, j) => {
          const i = written + j;
          const score = scoreCustomer(
            {
              x: row.x,
              tx: row.t_x,
              T: row.t_cal,
              paidRepeatPurchases: row.paid_repeat_days,
              meanRepeatSpend: Number(row.mean_repeat_spend),
            },
            model,
            settings,
          );
          const nightShare = row.night_orders / row.orders;
          const spent = Number(row.total_spent);
          batch.add({
            customer_id: row.customer_id,
            segment_id: segmentIds.get(RFM_SEGMENTS[rfm.segment[i]!]!.key) ?? null,
            order_count: row.orders,
            frequency: row.x,
            recency: row.t_x,
            tenure: row.t_cal,
            total_spent: row.total_spent,
            avg_order_value: (spent / row.orders).toFixed(2),
            mean_repeat_spend: row.mean_repeat_spend,
            first_order_at: row.first_order_at,
            last_order_at: row.last_order_at,
            rfm_r: rfm.recency[i]!,
            rfm_f: rfm.frequency[i]!,
            rfm_m: rfm.monetary[i]!,
            p_alive: score.outputs.probabilityAlive,
            churn_risk: score.outputs.churnRisk,
            churn_band: score.outputs.churnBand,
            expected_purchases: score.outputs.expectedPurchases,
            expected_spend: score.outputs.expectedOrderValue.toFixed(2),
            clv: score.outputs.clv.toFixed(2),
            night_share: nightShare,
            is_night_buyer: nightShare >= scoring.nightBuyerShare,
            primary_category: row.primary_category,
            predicted_next_purchase_on: nextPurchaseDay(row),
          });
        });
        await upsertScores(db, runId, batch);
        written += chunk.length;
        lastId = chunk.at(-1)!.customer_id;
        heartbeat({ written, lastId });
      }
      return written;
    },

    async finishScoringRun(runId: string, outcome: { scored: number } | { error: string }): Promise<void> {
      await db.transaction(async (trx) => {
        if ('error' in outcome) {
          await trx('score_runs')
            .where({ id: runId })
            .update({ status: 'failed', error: outcome.error, finished_at: trx.fn.now() });
          return;
        }
        // Customers with no order left (e.g. all orders deleted) lose their stale scores.
        await trx('customer_scores').whereNot({ run_id: runId }).orWhereNull('run_id').delete();
        await trx.raw(`update customers c set segment_id = s.segment_id from customer_scores s
                       where s.customer_id = c.id and c.segment_id is distinct from s.segment_id`);
        await trx.raw(`update segments g set last_computed_at = now(),
                         customer_count = (select count(*) from customer_scores s where s.segment_id = g.id)`);
        await trx('score_runs')
          .where({ id: runId })
          .update({ status: 'completed', customers_scored: outcome.scored, finished_at: trx.fn.now() });
      });
    },
  };
}

async function previousParams(db: Db): Promise<{ bgnbd: BgNbdParams | null; gammaGamma: GammaGammaParams | null }> {
  const latest = async (model: string) =>
    (await db('model_fits').where({ model, used: true }).orderBy('fitted_at', 'desc').first())?.params ?? null;
  return { bgnbd: await latest('bgnbd'), gammaGamma: await latest('gamma_gamma') };
}

/** As domain/scoring/summary.ts defines it: one average gap (whole days) after the last purchase day. */
function nextPurchaseDay(row: FeatureRow): string | null {
  if (row.x === 0) return null;
  const last = Date.parse(`${row.last_day}T00:00:00Z`);
  return new Date(last + Math.round(row.t_x / row.x) * 86_400_000).toISOString().slice(0, 10);
}

interface FeatureRow {
  customer_id: string;
  orders: number;
  purchase_days: number;
  x: number;
  t_x: number;
  t_cal: number;
  days_since_last: number;
  total_spent: string;
  paid_repeat_days: number;
  mean_repeat_spend: string;
  night_orders: number;
  primary_category: string | null;
  first_day: string;
  last_day: string;
  first_order_at: Date;
  last_order_at: Date;
}

const scoreColumns = {
  customer_id: 'uuid',
  segment_id: 'uuid',
  order_count: 'int',
  frequency: 'int',
  recency: 'float8',
  tenure: 'float8',
  total_spent: 'numeric',
  avg_order_value: 'numeric',
  mean_repeat_spend: 'numeric',
  first_order_at: 'timestamptz',
  last_order_at: 'timestamptz',
  rfm_r: 'smallint',
  rfm_f: 'smallint',
  rfm_m: 'smallint',
  p_alive: 'float8',
  churn_risk: 'float8',
  churn_band: 'text',
  expected_purchases: 'float8',
  expected_spend: 'numeric',
  clv: 'numeric',
  night_share: 'float8',
  is_night_buyer: 'boolean',
  primary_category: 'text',
  predicted_next_purchase_on: 'date',
} as const;

type ScoreRow = Record<keyof typeof scoreColumns, unknown>;
const scoreColumnNames = Object.keys(scoreColumns) as (keyof typeof scoreColumns)[];

/** Scores of a chunk as one array per column, the shape `unnest` takes. */
class ScoreBatch {
  readonly columns = Object.fromEntries(scoreColumnNames.map((c) => [c, [] as unknown[]])) as Record<
    keyof typeof scoreColumns,
    unknown[]
  >;
  add(row: ScoreRow): void {
    for (const c of scoreColumnNames) this.columns[c].push(row[c]);
  }
}

/** One statement per chunk: arrays in, `unnest` out, upsert on the customer. */
async function upsertScores(db: Db, runId: string, batch: ScoreBatch): Promise<void> {
  const unnest = scoreColumnNames.map((c, i) => `$${i + 2}::${scoreColumns[c]}[]`).join(', ');
  const updates = scoreColumnNames
    .filter((c) => c !== 'customer_id')
    .map((c) => `${c} = excluded.${c}`)
    .join(', ');
  const client = await db.client.acquireConnection();
  try {
    await client.query(
      `insert into customer_scores (run_id, ${scoreColumnNames.join(', ')}, scored_at)
       select $1, u.*, now() from unnest(${unnest}) as u
       on conflict (customer_id) do update set run_id = excluded.run_id, ${updates}, scored_at = excluded.scored_at`,
      [runId, ...scoreColumnNames.map((c) => batch.columns[c])],
    );
  } finally {
    await db.client.releaseConnection(client);
  }
}
