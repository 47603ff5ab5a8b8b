import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedDemo } from '../bench/datagen/seed.ts';
import { scoreRfm, summariseOrders } from '../domain/scoring/index.ts';
import { createTestDatabase, type TestDatabase } from '../platform/testing/database.ts';
import { startTestWorkers, type TestWorkers } from '../platform/testing/temporal.ts';
import type { scoreCustomersWorkflow } from './score-customers.ts';

const TZ = 'America/Chicago';

describe('scoreCustomersWorkflow', () => {
  let t: TestDatabase;
  let w: TestWorkers;
  beforeAll(async () => {
    t = await createTestDatabase();
    w = await startTestWorkers(t.db, { STORE_TIME_ZONE: TZ });
  });
  afterAll(async () => {
    await w?.close();
    await t?.drop();
  });

  const score = (id: string) =>
    w.temporal.client.workflow.execute<typeof scoreCustomersWorkflow>('scoreCustomersWorkflow', {
      taskQueue: w.queues.workflows,
      workflowId: id,
      args: [{ trigger: 'manual', scoringTaskQueue: w.queues.scoring }],
    });

  it('fails clearly, and records the failed run, when there is nothing to fit yet', async () => {
    await expect(score('score-empty')).rejects.toThrow();
    const run = await t.db('score_runs').orderBy('started_at', 'desc').first();
    expect(run).toMatchObject({ status: 'failed' });
    expect(run.error).toMatch(/No usable model/);
  });

  it('scores every customer with orders, consistently with the reference summaries', async () => {
    await seedDemo(t.db, { seed: 7, customerCount: 600, asOf: new Date('2026-11-01T06:00:00Z'), timeZone: TZ });
    const result = await score('score-demo');
    const buyers = Number((await t.db('orders').countDistinct({ n: 'customer_id' }))[0]!.n);
    expect(result.customers).toBe(buyers);
    expect(result.fits.bgnbd.converged).toBe(true);
    expect(result.fits.gammaGamma.converged).toBe(true);

    const run = await t.db('score_runs').where({ id: result.runId }).first();
    expect(run).toMatchObject({ status: 'completed', customers_scored: buyers });
    const fits = await t.db('model_fits').where({ run_id: result.runId });
    expect(fits.map((f) => [f.model, f.used, f.converged]).sort()).toEqual([
      ['bgnbd', true, true],
      ['gamma_gamma', true, true],
    ]);
    expect(fits.every((f) => f.sample_size > 0 && Number.isFinite(f.log_likelihood))).toBe(true);

    // The SQL features must agree with the reference definition in domain/scoring/summary.ts.
    const scores = await t
      .db('customer_scores as s')
      .join('segments as g', 'g.id', 's.segment_id')
      .select('s.*', 'g.key as segment');
    expect(scores).toHaveLength(buyers);
    const orders = await t.db('orders').select('customer_id', 'ordered_at', 'total', 'category');
    const byCustomer = Map.groupBy(orders, (o) => o.customer_id as string);
    const summaries = new Map(
      scores.map((s) => [
        s.customer_id,
        summariseOrders(
          byCustomer
            .get(s.customer_id)!
            .map((o) => ({ orderedAt: o.ordered_at, total: Number(o.total), category: o.category })),
          { asOf: run.as_of, timeZone: TZ, unit: 'days' },
        )!,
      ]),
    );
    for (const s of scores) {
      const ref = summaries.get(s.customer_id)!;
      expect({
        x: s.frequency,
        tx: s.recency,
        T: s.tenure,
        orders: s.order_count,
        totalSpent: Number(s.total_spent),
        primaryCategory: s.primary_category,
        nightOrderShare: s.night_share,
        nextPurchaseExpectedOn: s.predicted_next_purchase_on,
      }).toEqual({
        x: ref.x,
        tx: ref.tx,
        T: ref.T,
        orders: ref.orders,
        totalSpent: ref.totalSpent,
        primaryCategory: ref.primaryCategory,
        nightOrderShare: expect.closeTo(ref.nightOrderShare, 12),
        nextPurchaseExpectedOn: ref.nextPurchaseExpectedOn,
      });
      // Stored in cents, rounded from the exact decimal mean (half away from zero).
      expect(Math.abs(Number(s.mean_repeat_spend) - ref.meanRepeatSpend)).toBeLessThanOrEqual(0.005 + 1e-9);
      expect(s.p_alive).toBeGreaterThan(0);
      expect(s.p_alive).toBeLessThanOrEqual(1);
      expect(s.churn_risk).toBeCloseTo(1 - s.p_alive, 12);
      expect(Number(s.clv)).toBeGreaterThanOrEqual(0);
    }

    // RFM quintiles are relative to the whole base: recompute them from the reference summaries.
    const ordered = scores.map((s) => summaries.get(s.customer_id)!);
    const rfm = scoreRfm(
      ordered.map((r) => ({
        daysSinceLastPurchase: r.daysSinceLastPurchase,
        purchases: r.x + 1,
        totalSpent: r.totalSpent,
      })),
    );
    expect(scores.map((s) => [s.rfm_r, s.rfm_f, s.rfm_m, s.segment])).toEqual(
      rfm.map((r) => [r.recency, r.frequency, r.monetary, r.segment]),
    );

    const segments = await t.db('segments').select('key', 'customer_count', 'last_computed_at');
    expect(segments.reduce((n, s) => n + s.customer_count, 0)).toBe(buyers);
    expect(segments.every((s) => s.last_computed_at !== null)).toBe(true);
  });
});
