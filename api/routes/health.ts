import { Router } from 'express';
import { z } from 'zod';
import { route } from '../auth/middleware.ts';
import { isDatabaseReachable, type Db } from '../../platform/db.ts';
import { defineRoute } from '../route-spec.ts';

export type ReadinessProbe = () => Promise<boolean>;

const upDown = z.enum(['up', 'down']);
const readiness = z.object({
  status: z.enum(['ready', 'unavailable']),
  checks: z.object({ postgres: upDown, temporal: upDown }),
});

export const healthRoutes = {
  live: defineRoute({
    key: 'GET /healthz',
    tag: 'Health',
    summary: 'Whether the process is alive',
    responses: { 200: { description: 'Alive.', schema: z.object({ status: z.literal('ok') }) } },
  }),
  ready: defineRoute({
    key: 'GET /readyz',
    tag: 'Health',
    summary: 'Whether PostgreSQL and Temporal are reachable',
    responses: {
      200: { description: 'Ready for traffic.', schema: readiness },
      503: { description: 'A dependency is down.', schema: readiness },
    },
  }),
};

/**
 * `/healthz` says the process is alive (restart it if not); `/readyz` says it can do its job
 * (send it traffic if so). Both are public so that orchestrators can call them without a token;
 * they reveal nothing but up/down.
 */
export function healthRouter(deps: { db: Db; temporalReady: ReadinessProbe }): Router {
  const router = Router();
  route(router, healthRoutes.live, (_req, res) => {
    res.json({ status: 'ok' });
  });
  route(router, healthRoutes.ready, async (_req, res) => {
    const [postgres, temporal] = await Promise.all([isDatabaseReachable(deps.db), deps.temporalReady()]);
    const ready = postgres && temporal;
    res.status(ready ? 200 : 503).json({
      status: ready ? 'ready' : 'unavailable',
      checks: { postgres: postgres ? 'up' : 'down', temporal: temporal ? 'up' : 'down' },
    });
  });
  return router;
}
