import { Router } from 'express';
import { z } from 'zod';
import type { Db } from '../../platform/db.ts';
import { route } from '../auth/middleware.ts';
import { BadCursor, countCustomers, customerSorts, getCustomer, listCustomers } from '../data/customers.ts';
import { HttpProblem, parseOr400 } from '../problem.ts';

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

function num(v: unknown): number | null {
  return v === null || v === undefined ? null : Number(v);
}

export function customersRouter(deps: { db: Db }): Router {
  const router = Router();

  route(router, 'GET /api/customers', async (req, res) => {
    const { withTotal, ...q } = parseOr400(listQuery, req.query, 'query');
    try {
      const [page, total] = await Promise.all([
        listCustomers(deps.db, q),
        withTotal ? countCustomers(deps.db, q) : Promise.resolve(undefined),
      ]);
      res.json({ ...page, ...(total !== undefined ? { total } : {}) });
    } catch (err) {
      if (err instanceof BadCursor) throw new HttpProblem(400, 'Bad Request', err.message);
      throw err;
    }
  });

  route(router, 'GET /api/customers/:id', async (req, res) => {
    const { id } = parseOr400(idParam, req.params, 'path');
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
