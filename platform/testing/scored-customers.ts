import type { Db } from '../db.ts';

/** A completed scoring run for test scores to belong to. */
export async function insertScoreRun(db: Db): Promise<string> {
  const [run] = await db('score_runs')
    .insert({ trigger: 'manual', as_of: new Date(), status: 'completed' })
    .returning('id');
  return run.id as string;
}

/**
 * A customer the planner can pick: the given customer fields, e-mail consent, and a mid-range
 * score in the segment (a steady repeat buyer, medium churn risk, the given CLV).
 */
export async function insertScoredCustomer(
  db: Db,
  opts: { runId: string; segmentId: string; clv: number; customer: Record<string, unknown> },
): Promise<string> {
  const [c] = await db('customers').insert(opts.customer).returning('id');
  await db('consents').insert({ customer_id: c.id, channel: 'email', status: 'opted_in', source: 'test' });
  await insertCustomerScore(db, { customerId: c.id, runId: opts.runId, segmentId: opts.segmentId, clv: opts.clv });
  return c.id as string;
}

/**
 * A mid-range score (a steady repeat buyer, medium churn risk) that puts an existing customer in
 * the segment: a customer's segment is the one in their score.
 */
export async function insertCustomerScore(
  db: Db,
  opts: { customerId: string; runId: string; segmentId: string; clv?: number },
): Promise<void> {
  await db('customer_scores').insert({
    customer_id: opts.customerId,
    run_id: opts.runId,
    segment_id: opts.segmentId,
    order_count: 5,
    frequency: 4,
    recency: 100,
    tenure: 400,
    total_spent: '300.00',
    avg_order_value: '60.00',
    mean_repeat_spend: '60.00',
    first_order_at: new Date('2025-06-01T12:00:00Z'),
    last_order_at: new Date('2026-06-01T12:00:00Z'),
    rfm_r: 2,
    rfm_f: 4,
    rfm_m: 3,
    p_alive: 0.5,
    churn_risk: 0.5,
    churn_band: 'medium',
    expected_purchases: 1,
    expected_spend: '60.00',
    clv: String(opts.clv ?? 300),
    night_share: 0,
    is_night_buyer: false,
    primary_category: 'whiskey',
  });
}
