import { Router } from 'express';
import { z } from 'zod';
import type { Db } from '../../platform/db.ts';
import { route } from '../auth/middleware.ts';
import {
  BadCursor,
  countCustomers,
  customerSorts,
  getCustomer,
  listCustomers,
  type CustomerListQuery,
} from '../data/customers.ts';
import { HttpProblem } from '../problem.ts';
import { sendSharedJson, singleFlight } from '../single-flight.ts';
import { defineRoute } from '../route-spec.ts';

const bool = z.enum(['true', 'false']).transform((v) => v === 'true');

const listQuery = z.strictObject({
  segment: z.string().max(60).optional(),
  churnBand: z.enum(['low', 'medium', 'high']).optional(),
  clvMin: z.coerce.number().min(0).optional(),
  clvMax: z.coerce.number().min(0).optional(),
  nightBuyer: bool.optional(),
  category: z.string().max(100).optional(),
  q: z.string().trim().min(1).max(100).optional(),
  sort: z.enum(customerSorts).default('clv'),
  order: z.enum(['asc', 'desc']).default('desc'),
  limit: z.coerce.number().int().min(1).max(200).default(50),
  cursor: z.string().max(500).optional(),
  withTotal: bool.optional(),
});

const idParam = z.strictObject({ id: z.uuid() });

export const customerRoutes = {
  list: defineRoute({
    key: 'GET /api/customers',
    tag: 'Customers',
    summary: 'List customers with their scores, filtered and sorted',
    description:
      'Keyset-paginated: pass the `nextCursor` of a page as `cursor` for the next one. ' +
      '`withTotal=true` adds the count of all matching customers (slower on large stores).',
    query: listQuery,
    responses: { 200: { description: 'A page of customers.' } },
  }),
  get: defineRoute({
    key: 'GET /api/customers/:id',
    tag: 'Customers',
    summary: 'One customer: consents, orders, messages, and every score with the inputs that produced it',
    params: idParam,
    responses: { 200: { description: 'The customer.' } },
    problems: { 404: 'No customer with this id.' },
  }),
};

function num(v: unknown): number | null {
  return v === null || v === undefined ? null : Number(v);
}

export function customersRouter(deps: { db: Db }): Router {
  const router = Router();
  const listPage = singleFlight(
    (q: CustomerListQuery) => listCustomers(deps.db, q),
    (q) => JSON.stringify(q),
  );

  route(router, customerRoutes.list, async (_req, res, { query }) => {
    const { withTotal, ...q } = query;
    try {
      const [page, total] = await Promise.all([
        listPage(q),
        withTotal ? countCustomers(deps.db, q) : Promise.resolve(undefined),
      ]);
      if (total === undefined) sendSharedJson(res, page);
      else res.json({ ...page, total });
    } catch (err) {
      if (err instanceof BadCursor) throw new HttpProblem(400, 'Bad Request', err.message);
      throw err;
    }
  });

  route(router, customerRoutes.get, async (_req, res, { params: { id } }) => {
    const found = await getCustomer(deps.db, id);
    if (!found) throw new HttpProblem(404, 'Not Found', 'No customer with this id.');
    const s = found.scores;
    res.json({
      customer: found.customer,
      consents: found.consents,
      orders: found.orders,
      messages: found.messages,
      // Every score next to the inputs and model parameters that produced it.
      scores: s
        ? {
            segment: { key: s.segment_key, name: s.segment_name },
            rfm: { r: s.rfm_r, f: s.rfm_f, m: s.rfm_m },
            inputs: {
              timeUnit: 'days',
              x: s.frequency,
              t_x: s.recency,
              T: s.tenure,
              meanRepeatSpend: num(s.mean_repeat_spend),
              orderCount: s.order_count,
              totalSpent: num(s.total_spent),
              avgOrderValue: num(s.avg_order_value),
              firstOrderAt: s.first_order_at,
              lastOrderAt: s.last_order_at,
              nightShare: s.night_share,
            },
            outputs: {
              pAlive: s.p_alive,
              churnRisk: s.churn_risk,
              churnBand: s.churn_band,
              expectedPurchases: s.expected_purchases,
              expectedSpend: num(s.expected_spend),
              clv: num(s.clv),
              isNightBuyer: s.is_night_buyer,
              primaryCategory: s.primary_category,
              predictedNextPurchaseOn: s.predicted_next_purchase_on,
            },
            models: found.fits,
            scoredAt: s.scored_at,
          }
        : null,
    });
  });

  return router;
}
