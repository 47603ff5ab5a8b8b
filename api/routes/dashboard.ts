import { Router } from 'express';
import { z } from 'zod';
import type { Db } from '../../platform/db.ts';
import { route } from '../auth/middleware.ts';
import { getDashboard } from '../data/dashboard.ts';
import { defineRoute } from '../route-spec.ts';

const dashboardQuery = z.strictObject({ days: z.coerce.number().int().min(1).max(90).default(30) });

export const dashboardRoutes = {
  get: defineRoute({
    key: 'GET /api/dashboard',
    tag: 'Dashboard',
    summary: 'Active campaigns, sends today, delivery/open/click rates, attributed revenue, segments, recent failures',
    description:
      'Rates are over the sends of the last `days` days (30 by default): delivery out of sends handed to a ' +
      'provider, opens and clicks out of deliveries. Revenue is the attributed orders of the same period.',
    query: dashboardQuery,
    responses: { 200: { description: 'The dashboard figures.' } },
  }),
};

export function dashboardRouter(deps: { db: Db; timeZone: string }): Router {
  const router = Router();
  route(router, dashboardRoutes.get, async (_req, res, { query }) => {
    res.json(await getDashboard(deps.db, { timeZone: deps.timeZone, days: query.days }));
  });
  return router;
}
