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
import { computeFeatureChunk, featureChunks, type FeatureChunk } from './scoring-features.ts';
import { createNextScores, NEXT_SCORES, swapInNextScores } from './scoring-table.ts';

/**
 * The scoring pipeline's steps. Features are computed in SQL (scoring-features.ts, customer-id
 * chunks side by side); the models are fitted and every customer scored by the pure functions in
 * domain/scoring; scores are written in batches into a fresh table that the last step swaps in
 * (scoring-table.ts). Each step heartbeats its progress, so a retry after a crash resumes where
 * the last attempt stopped.
 */

export interface ScoringSettings {
  timeZone: string;
  nightWindow: NightWindow;
  nightBuyerShare: number;
  horizonMonths: number;
  monthlyDiscountRate: number;
  /** Customers per feature chunk (one SQL statement each); 250,000 by default. */
  chunkSize?: number;
  /**
   * Feature chunks and index builds run side by side, one database connection each; 2 by default,
   * the database server's cores being what they use.
   */
  parallelChunks?: number;
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
/** Customers scored and inserted per statement in the write-back. */
const WRITE_BATCH = 50_000;

/** Heartbeat details of the features step: its chunks, fixed by the first attempt, and those done. */
interface FeatureProgress {
  chunks: FeatureChunk[];
  done: number[];
}

export function createScoringActivities({ db, log, scoring }: Pick<ActivityDeps, 'db' | 'log' | 'scoring'>) {
  const chunkSize = scoring.chunkSize ?? 250_000;
  const parallel = scoring.parallelChunks ?? 2;

  return {
    async startScoringRun(input: ScoringRunInput): Promise<string> {
      const [run] = await db('score_runs')
        .insert({ trigger: input.trigger, workflow_id: input.workflowId, as_of: input.asOf })
        .returning('id');
      return run.id;
    },

    /** Summarises every customer's orders into customer_features, a few customer-id chunks at a time. */
    async computeCustomerFeatures(runId: string, asOf: string): Promise<number> {
      let progress = activityInfo().heartbeatDetails as FeatureProgress | undefined;
      if (!progress) {
        await db.raw('truncate customer_features');
        progress = { chunks: await featureChunks(db, chunkSize, parallel), done: [] };
      }
      const { chunks, done } = progress;
      const pending = chunks.map((_, i) => i).filter((i) => !done.includes(i));
      // A chunk is one statement that may outlast the heartbeat timeout on a busy server.
      const beat = () => heartbeat({ chunks, done } satisfies FeatureProgress);
      const timer = setInterval(beat, 10_000);
      try {
        await Promise.all(
          Array.from({ length: Math.max(1, parallel) }, async () => {
            for (let i = pending.shift(); i !== undefined; i = pending.shift()) {
              await computeFeatureChunk(db, {
                ...chunks[i]!,
                runId,
                asOf,
                timeZone: scoring.timeZone,
                nightWindow: scoring.nightWindow,
              });
              done.push(i);
              beat();
            }
          }),
        );
      } finally {
        clearInterval(timer);
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
     * Scores every customer into a fresh scores table (see scoring-table.ts), in batches. RFM needs
     * the whole base (its quintiles are relative), so its three columns are loaded for everyone;
     * the rest is read batch by batch in customer-id order, which is also the order of the RFM
     * columns. One batch is inserted while the next is scored.
     */
    async writeCustomerScores(runId: string, model: ScoringModel): Promise<number> {
      const resume = activityInfo().heartbeatDetails as { written: number; lastId: string } | undefined;
      if (resume) {
        // A batch inserted after the last heartbeat is inserted again below.
        await db(NEXT_SCORES).where('customer_id', '>', resume.lastId).delete();
      } else {
        await createNextScores(db);
      }
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
      let inserting: Promise<void> = Promise.resolve();
      while (written < n) {
        const q = db('customer_features')
          .select('customer_id', 'x', 't_x', 't_cal', 'paid_repeat_days', 'mean_repeat_spend')
          .where({ run_id: runId })
          .orderBy('customer_id')
          .limit(WRITE_BATCH);
        if (lastId) q.where('customer_id', '>', lastId);
        const chunk = (await q) as FeatureRow[];
        if (chunk.length === 0) break;
        const batch = new ScoreBatch();
        const from = written;
        chunk.forEach((row, j) => {
          const i = from + j;
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
          batch.add({
            customer_id: row.customer_id,
            segment_id: segmentIds.get(RFM_SEGMENTS[rfm.segment[i]!]!.key) ?? null,
            rfm_r: rfm.recency[i]!,
            rfm_f: rfm.frequency[i]!,
            rfm_m: rfm.monetary[i]!,
            p_alive: score.outputs.probabilityAlive,
            churn_risk: score.outputs.churnRisk,
            churn_band: score.outputs.churnBand,
            expected_purchases: score.outputs.expectedPurchases,
            expected_spend: score.outputs.expectedOrderValue.toFixed(2),
            clv: score.outputs.clv.toFixed(2),
          });
        });
        await inserting;
        written += chunk.length;
        const last = chunk.at(-1)!.customer_id;
        lastId = last;
        inserting = insertScores(db, runId, scoring.nightBuyerShare, batch).then(() =>
          heartbeat({ written: from + chunk.length, lastId: last }),
        );
        // Awaited before the next insert or at the end; this only keeps a failure from counting as unhandled meanwhile.
        inserting.catch(() => undefined);
      }
      await inserting;
      return written;
    },

    /**
     * Swaps the run's scores in (customers without orders any more drop out with the old table),
     * and with them every customer's segment, which is read from the scores wherever it is used;
     * updates the segments' counts and closes the run. A failed run drops its half-built table
     * and leaves the live scores alone.
     */
    async finishScoringRun(runId: string, outcome: { scored: number } | { error: string }): Promise<void> {
      if ('error' in outcome) {
        await db.raw(`drop table if exists ${NEXT_SCORES}`);
        await db('score_runs')
          .where({ id: runId })
          .update({ status: 'failed', error: outcome.error, finished_at: db.fn.now() });
        return;
      }
      await swapInNextScores(db, {
        parallel,
        inSwap: async (trx) => {
          await trx.raw(`with counts as materialized (select segment_id, count(*)::int as n from customer_scores group by 1)
                         update segments g set last_computed_at = now(),
                           customer_count = coalesce((select c.n from counts c where c.segment_id = g.id), 0)`);
          await trx('score_runs')
            .where({ id: runId })
            .update({ status: 'completed', customers_scored: outcome.scored, finished_at: trx.fn.now() });
        },
      });
    },
  };
}

async function previousParams(db: Db): Promise<{ bgnbd: BgNbdParams | null; gammaGamma: GammaGammaParams | null }> {
  const latest = async (model: string) =>
    (await db('model_fits').where({ model, used: true }).orderBy('fitted_at', 'desc').first())?.params ?? null;
  return { bgnbd: await latest('bgnbd'), gammaGamma: await latest('gamma_gamma') };
}

/** What the write-back reads of a customer's features; the rest is copied in SQL. */
interface FeatureRow {
  customer_id: string;
  x: number;
  t_x: number;
  t_cal: number;
  paid_repeat_days: number;
  mean_repeat_spend: string;
}

/** The columns the models and RFM compute; insertScores takes the others from customer_features. */
const scoreColumns = {
  customer_id: 'uuid',
  segment_id: 'uuid',
  rfm_r: 'smallint',
  rfm_f: 'smallint',
  rfm_m: 'smallint',
  p_alive: 'float8',
  churn_risk: 'float8',
  churn_band: 'text',
  expected_purchases: 'float8',
  expected_spend: 'numeric',
  clv: 'numeric',
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

/**
 * A PostgreSQL array literal of values that never need quoting — numbers, uuids, amounts as
 * fixed-point strings, churn bands — with null as NULL. node-postgres would quote and escape every
 * element, about a fifth of the write-back's CPU in Node.
 */
function arrayLiteral(values: unknown[]): string {
  return `{${values.map((v) => v ?? 'NULL').join(',')}}`;
}

/**
 * One statement per batch: the computed columns as arrays, `unnest`ed and joined to the features
 * they were computed from for the columns that are the features themselves (or follow from them
 * as domain/scoring/summary.ts defines them), which never need to travel through Node. The batch
 * is a range of customer ids, and saying so lets PostgreSQL hash-join one range scan of the
 * features instead of probing their key once per customer (a quarter less CPU per batch).
 */
async function insertScores(db: Db, runId: string, nightBuyerShare: number, batch: ScoreBatch): Promise<void> {
  const unnest = scoreColumnNames.map((c, i) => `$${i + 5}::${scoreColumns[c]}[]`).join(', ');
  const ids = batch.columns.customer_id;
  const client = await db.client.acquireConnection();
  try {
    const { rowCount } = await client.query(
      `insert into ${NEXT_SCORES} (run_id, ${scoreColumnNames.join(', ')}, order_count, frequency, recency, tenure,
         total_spent, avg_order_value, mean_repeat_spend, first_order_at, last_order_at, night_share, is_night_buyer,
         primary_category, predicted_next_purchase_on, scored_at)
       select $1, ${scoreColumnNames.map((c) => `u.${c}`).join(', ')}, f.orders, f.x, f.t_x, f.t_cal,
              f.total_spent, round(f.total_spent / f.orders, 2), f.mean_repeat_spend, f.first_order_at, f.last_order_at,
              f.night_orders::float8 / f.orders, f.night_orders::float8 / f.orders >= $2, f.primary_category,
              -- One average gap (whole days, halves up) after the last purchase day; none for one-time buyers.
              case when f.x > 0 then f.last_day + round(f.t_x::numeric / f.x)::int end, now()
       from unnest(${unnest}) as u (${scoreColumnNames.join(', ')})
       join customer_features f on f.customer_id = u.customer_id and f.customer_id between $3 and $4`,
      [runId, nightBuyerShare, ids[0], ids.at(-1), ...scoreColumnNames.map((c) => arrayLiteral(batch.columns[c]))],
    );
    // Every scored customer has its features row; a missing score would otherwise go unnoticed.
    if (rowCount !== ids.length) throw new Error(`wrote ${rowCount} of a batch of ${ids.length} scores`);
  } finally {
    await db.client.releaseConnection(client);
  }
}
