import { MockActivityEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedDemo } from '../bench/datagen/seed.ts';
import { summariseOrders } from '../domain/scoring/index.ts';
import { createLogger } from '../platform/logger.ts';
import { createTestDatabase, type TestDatabase } from '../platform/testing/database.ts';
import { createScoringActivities, type ScoringSettings } from './scoring.ts';

const TZ = 'America/Chicago';
const asOf = '2026-11-01T06:00:00.000Z';
const settings: ScoringSettings = {
  timeZone: TZ,
  nightWindow: { fromHour: 20, toHour: 4 },
  nightBuyerShare: 0.5,
  horizonMonths: 12,
  monthlyDiscountRate: 0.01,
  // Many small chunks, three at a time: the chunk edges and the concurrency are what is tested.
  chunkSize: 70,
  parallelChunks: 3,
};

describe('scoring activities', () => {
  let t: TestDatabase;
  let activities: ReturnType<typeof createScoringActivities>;
  const run = <P extends unknown[], R>(fn: (...args: P) => Promise<R>, args: P, heartbeatDetails?: unknown) =>
    new MockActivityEnvironment({ heartbeatDetails }).run(fn, ...args) as Promise<R>;

  beforeAll(async () => {
    t = await createTestDatabase();
    activities = createScoringActivities({ db: t.db, log: createLogger('error', 'test'), scoring: settings });
    await seedDemo(t.db, { seed: 11, customerCount: 500, asOf: new Date(asOf), timeZone: TZ });
  });
  afterAll(async () => t?.drop());

  const features = async () =>
    (await t.db('customer_features').orderBy('customer_id')).map((f) => ({
      customer_id: f.customer_id,
      x: f.x,
      tx: f.t_x,
      T: f.t_cal,
      orders: f.orders,
      totalSpent: Number(f.total_spent),
      paid: f.paid_repeat_days,
      meanRepeatSpend: Number(f.mean_repeat_spend),
      night: f.night_orders,
      category: f.primary_category,
    }));

  it('computes the same features as the reference definition, whatever the chunks', async () => {
    const runId = await run(activities.startScoringRun, [{ trigger: 'manual', workflowId: 'test', asOf }]);
    const n = await run(activities.computeCustomerFeatures, [runId, asOf]);
    const buyers = Number((await t.db('orders').countDistinct({ n: 'customer_id' }))[0]!.n);
    expect(n).toBe(buyers);

    const orders = Map.groupBy(
      await t.db('orders').select('customer_id', 'ordered_at', 'total', 'category'),
      (o) => o.customer_id as string,
    );
    const got = await features();
    expect(got).toHaveLength(buyers);
    for (const f of got) {
      const ref = summariseOrders(
        orders
          .get(f.customer_id)!
          .map((o) => ({ orderedAt: o.ordered_at, total: Number(o.total), category: o.category })),
        { asOf: new Date(asOf), timeZone: TZ, unit: 'days' },
      )!;
      expect({ ...f, customer_id: undefined, meanRepeatSpend: undefined }).toEqual({
        customer_id: undefined,
        meanRepeatSpend: undefined,
        x: ref.x,
        tx: ref.tx,
        T: ref.T,
        orders: ref.orders,
        totalSpent: ref.totalSpent,
        paid: ref.paidRepeatPurchases,
        night: Math.round(ref.nightOrderShare * ref.orders),
        category: ref.primaryCategory,
      });
      // Stored in cents, rounded from the exact decimal mean.
      expect(Math.abs(f.meanRepeatSpend - ref.meanRepeatSpend)).toBeLessThanOrEqual(0.005 + 1e-9);
    }

    // A retry that finds half the chunks done recomputes the others, and only those, without duplicates.
    const first = got;
    const chunks = (await t.db.raw<{ rows: { id: string }[] }>(`select id from customers order by id`)).rows;
    const middle = chunks[Math.floor(chunks.length / 2)]!.id;
    await t.db('customer_features').where('customer_id', '>', middle).delete();
    await run(activities.computeCustomerFeatures, [runId, asOf], {
      chunks: [
        { after: null, end: middle },
        { after: middle, end: null },
      ],
      done: [0],
    });
    expect(await features()).toEqual(first);
  });

  it('swaps in a scores table with the same indexes and keys as before', async () => {
    const structure = async () => ({
      indexes: (
        await t.db.raw<{ rows: { def: string }[] }>(
          `select pg_get_indexdef(indexrelid) as def from pg_index where indrelid = 'customer_scores'::regclass order by 1`,
        )
      ).rows.map((r) => r.def),
      constraints: (
        await t.db.raw<{ rows: { name: string; def: string }[] }>(
          `select conname as name, pg_get_constraintdef(oid) as def from pg_constraint
           where conrelid = 'customer_scores'::regclass order by 1`,
        )
      ).rows,
      storage: (await t.db.raw(`select reloptions from pg_class where oid = 'customer_scores'::regclass`)).rows[0]
        .reloptions,
    });
    // A storage setting a migration might give the table, which `create table … like` does not copy.
    await t.db.raw('alter table customer_scores set (fillfactor = 90)');
    const before = await structure();
    expect(before.indexes.length).toBeGreaterThan(1);

    const runId = await run(activities.startScoringRun, [{ trigger: 'manual', workflowId: 'test-2', asOf }]);
    await run(activities.computeCustomerFeatures, [runId, asOf]);
    const fitted = await run(activities.fitScoringModels, [runId]);
    const scored = await run(activities.writeCustomerScores, [runId, fitted.model]);
    await run(activities.finishScoringRun, [runId, { scored }]);

    expect(await structure()).toEqual(before);
    expect(Number((await t.db('customer_scores').where({ run_id: runId }).count({ n: '*' }))[0]!.n)).toBe(scored);
    const exists = await t.db.raw(`select to_regclass('customer_scores_next') as t`);
    expect(exists.rows[0].t).toBeNull();
  });

  it("counts analytics under the swapped-in scores' segments, on connections that used the old table", async () => {
    const [{ id: campaign }] = await t
      .db('campaigns')
      .insert({ name: 'Rollup', type: 'win_back', starts_on: '2026-11-01', time_zone: TZ })
      .returning('id');
    const [customer] = await t.db('customer_scores').orderBy('customer_id').limit(1).pluck('customer_id');
    // The rollup trigger's plan is cached per connection: these events go through one connection.
    const connection = await t.db.client.acquireConnection();
    const clicked = (day: number) =>
      t
        .db('analytics_events')
        .connection(connection)
        .insert({
          occurred_at: new Date(Date.UTC(2026, 10, day, 18)),
          type: 'clicked',
          customer_id: customer,
          campaign_id: campaign,
          channel: 'email',
        });
    try {
      await t.db('customer_scores').where({ customer_id: customer }).update({ segment_id: null });
      await clicked(2);
      const runId = await run(activities.startScoringRun, [{ trigger: 'manual', workflowId: 'test-3', asOf }]);
      await run(activities.computeCustomerFeatures, [runId, asOf]);
      const fitted = await run(activities.fitScoringModels, [runId]);
      const scored = await run(activities.writeCustomerScores, [runId, fitted.model]);
      await run(activities.finishScoringRun, [runId, { scored }]);
      await clicked(3);
    } finally {
      await t.db.client.releaseConnection(connection);
    }
    const [{ segment_id: segment }] = await t
      .db('customer_scores')
      .where({ customer_id: customer })
      .select('segment_id');
    expect(segment).not.toBeNull();
    expect(
      await t.db('analytics_daily').where({ campaign_id: campaign }).orderBy('day').select('day', 'segment_id'),
    ).toEqual([
      { day: '2026-11-02', segment_id: null },
      { day: '2026-11-03', segment_id: segment },
    ]);
  });
});
