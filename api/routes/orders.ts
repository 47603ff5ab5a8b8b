import { Router } from 'express';
import { z } from 'zod';
import { attributeOrders } from '../../activities/analytics/attribution.ts';
import type { Config } from '../../platform/config.ts';
import type { Db } from '../../platform/db.ts';
import { route } from '../auth/middleware.ts';
import { attributionsOf, storeOrders, UnknownCustomers } from '../data/orders.ts';
import { HttpProblem } from '../problem.ts';
import { defineRoute } from '../route-spec.ts';

/**
 * `POST /api/orders`: the store's systems report orders as they happen (an API key with the
 * `orders` scope), one or up to 1,000 at once. A retry with the same order id changes nothing
 * and answers the same. A new order is attributed at once to the message that earned it.
 */

const order = z.strictObject({
  orderId: z.string().trim().min(1).max(100),
  customerId: z.string().trim().min(1).max(100),
  orderedAt: z.iso.datetime({ offset: true }),
  total: z.union([z.number().min(0).max(1e9), z.string().regex(/^\d{1,10}(\.\d{1,2})?$/, 'an amount like 42.50')]),
  currency: z
    .string()
    .regex(/^[A-Z]{3}$/, 'an ISO 4217 code such as USD')
    .default('USD'),
  itemCount: z.number().int().min(1).max(10_000).default(1),
  category: z.string().trim().max(100).optional(),
  channel: z.string().trim().max(40).optional(),
});
const body = z.union([
  order,
  z.strictObject({
    orders: z
      .array(order)
      .min(1)
      .max(1_000)
      .refine((os) => new Set(os.map((o) => o.orderId)).size === os.length, 'each orderId once'),
  }),
]);

export const orderRoutes = {
  create: defineRoute({
    key: 'POST /api/orders',
    tag: 'Orders',
    summary: 'Report one order, or up to 1,000, as they happen',
    description:
      'Idempotent by `orderId`: a repeat answers 200 with the stored order and changes nothing. A new order is ' +
      'attributed at once to the last message that touched the customer within its window.',
    body,
    responses: {
      201: { description: 'At least one order was new: the orders with their attribution (or null).' },
      200: { description: 'Every order was stored before.' },
    },
    problems: { 422: 'An order names a customer the store does not know.' },
  }),
};

export function ordersRouter(deps: { db: Db; config: Pick<Config, 'ATTRIBUTION_WINDOWS'> }): Router {
  const router = Router();

  route(router, orderRoutes.create, async (_req, res, { body: parsed }) => {
    const orders = ('orders' in parsed ? parsed.orders : [parsed]).map((o) => ({
      ...o,
      total: typeof o.total === 'number' ? o.total.toFixed(2) : o.total,
    }));
    let stored;
    try {
      stored = await storeOrders(deps.db, orders);
    } catch (err) {
      if (!(err instanceof UnknownCustomers)) throw err;
      throw new HttpProblem(422, 'Unprocessable Content', 'Some orders name a customer this store does not know.', {
        errors: err.indexes.map((i) => ({
          path: 'orders' in parsed ? `body.orders.${i}.customerId` : 'body.customerId',
          message: `unknown customer ${orders[i]!.customerId}`,
        })),
      });
    }
    const fresh = stored.filter((s) => s.created).map((s) => s.id);
    if (fresh.length) await attributeOrders(deps.db, deps.config.ATTRIBUTION_WINDOWS, { orderIds: fresh });
    const attributions = await attributionsOf(
      deps.db,
      stored.map((s) => s.id),
    );
    const result = stored.map((s) => ({ ...s, attribution: attributions.get(s.id) ?? null }));
    res.locals.audit = {
      entityId: stored
        .map((s) => s.orderId)
        .join(',')
        .slice(0, 200),
      created: fresh.length,
    };
    res.status(fresh.length > 0 ? 201 : 200).json('orders' in parsed ? { orders: result } : result[0]);
  });

  return router;
}
