import type { NightWindow } from '../domain/scoring/index.ts';
import type { Db } from '../platform/db.ts';

/**
 * Per-customer purchase summaries in SQL, as domain/scoring/summary.ts defines them, for one
 * customer-id range at a time. The scoring activity runs a few ranges at once, one connection
 * each, so that PostgreSQL works on every core.
 */

export interface FeatureChunk {
  /** Exclusive lower bound; null for the first chunk. */
  after: string | null;
  /** Inclusive upper bound; null for the last chunk. */
  end: string | null;
}

/**
 * Customer-id ranges covering every customer: at least `parallel` of them, so that every
 * connection has work, and at most `size` customers each.
 */
export async function featureChunks(db: Db, size: number, parallel: number): Promise<FeatureChunk[]> {
  const [{ n }] = (await db('customers').count({ n: '*' })) as [{ n: number }];
  const per = Math.max(1, Math.min(size, Math.ceil(Number(n) / Math.max(1, parallel))));
  const { rows } = await db.raw<{ rows: { id: string }[] }>(
    `select id from (select id, row_number() over (order by id) as n from customers) c
     where n % ? = 0 and n < ? order by id`,
    [per, Number(n)],
  );
  const bounds = [null, ...rows.map((r) => r.id), null];
  return bounds.slice(0, -1).map((after, i) => ({ after, end: bounds[i + 1]! }));
}

function nightCondition(w: NightWindow): string {
  return w.fromHour < w.toHour
    ? `hour >= ${w.fromHour} and hour < ${w.toHour}`
    : `(hour >= ${w.fromHour} or hour < ${w.toHour})`;
}

export interface FeatureChunkInput extends FeatureChunk {
  runId: string;
  asOf: string;
  timeZone: string;
  nightWindow: NightWindow;
}

/**
 * Replaces the chunk's rows of customer_features in one transaction, so a retried chunk never
 * counts twice.
 *
 * The plan is chosen for speed at a million customers (see BENCHMARKS.md, `scoring`): the chunk's
 * orders are read once and converted to store-local time once (the `offset 0` keeps PostgreSQL
 * from repeating the conversion per use), then sorted twice — by customer and day, by customer
 * and category — and every aggregate streams over sorted input. Hash aggregates over ~10 groups
 * per customer were 2–3× slower (tables far larger than the CPU cache), hence `enable_hashagg`
 * off. The first purchase day's amount is kept next to the day in one bigint, day × 2^40 + cents,
 * so that `min` finds it without a sort or a join; amounts stay below 2^40 cents ($11 billion).
 */
export async function computeFeatureChunk(db: Db, input: FeatureChunkInput): Promise<void> {
  const { after, end } = input;
  const inChunk = `${after ? 'and customer_id > :after' : ''} ${end ? 'and customer_id <= :end' : ''}`;
  await db.transaction(async (trx) => {
    await trx.raw(`set local work_mem = '256MB'`);
    await trx.raw('set local enable_hashagg = off');
    // The activity runs chunks side by side; parallel workers inside each would only compete.
    await trx.raw('set local max_parallel_workers_per_gather = 0');
    // A working table rebuilt by every run: losing the last commits in a crash costs nothing.
    await trx.raw('set local synchronous_commit = off');
    await trx.raw(`delete from customer_features where true ${inChunk}`, { after, end });
    await trx.raw(
      `
      insert into customer_features (customer_id, run_id, orders, purchase_days, x, t_x, t_cal, days_since_last,
        total_spent, paid_repeat_days, mean_repeat_spend, night_orders, primary_category, first_day, last_day,
        first_order_at, last_order_at)
      with o as materialized (
        select customer_id, ordered_at, total, category, local::date as day, date_part('hour', local) as hour
        from (select customer_id, ordered_at, total, category, ordered_at at time zone :tz as local
              from orders where ordered_at <= cast(:asOf as timestamptz) ${inChunk} offset 0) l
      ),
      days as (
        select customer_id, day, sum(total) as amount, count(*) as orders,
               count(*) filter (where ${nightCondition(input.nightWindow)}) as night_orders,
               min(ordered_at) as first_at, max(ordered_at) as last_at
        from o group by customer_id, day
      ),
      customer as (
        select customer_id, sum(orders)::int as orders, count(*)::int as purchase_days, min(day) as first_day,
               max(day) as last_day, sum(amount) as total_spent, count(*) filter (where amount > 0)::int as paid_days,
               min((day - date '1970-01-01')::int8 << 40 | (amount * 100)::int8) & 1099511627775 as first_day_cents,
               sum(night_orders)::int as night_orders, min(first_at) as first_at, max(last_at) as last_at
        from days group by customer_id
      ),
      category as (
        select distinct on (customer_id) customer_id, category
        from (select customer_id, category, sum(total) as spent, count(*) as orders
              from o where category is not null group by customer_id, category) c
        order by customer_id, spent desc, orders desc, category
      ),
      repeat as (
        select c.*, paid_days - (first_day_cents > 0)::int as paid_repeat_days,
               total_spent - first_day_cents / 100.0 as repeat_spent
        from customer c
      )
      select r.customer_id, :run, r.orders, r.purchase_days, r.purchase_days - 1, r.last_day - r.first_day,
             (cast(:asOf as timestamptz) at time zone :tz)::date - r.first_day,
             (cast(:asOf as timestamptz) at time zone :tz)::date - r.last_day, r.total_spent, r.paid_repeat_days,
             coalesce(round(r.repeat_spent / nullif(r.paid_repeat_days, 0), 2), 0), r.night_orders, g.category,
             r.first_day, r.last_day, r.first_at, r.last_at
      from repeat r left join category g using (customer_id)
      `,
      { tz: input.timeZone, asOf: input.asOf, after, end, run: input.runId },
    );
  });
}
