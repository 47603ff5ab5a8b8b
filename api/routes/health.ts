import { Router } from 'express';
import { route } from '../auth/middleware.ts';
import { isDatabaseReachable, type Db } from '../../platform/db.ts';

export type ReadinessProbe = () => Promise<boolean>;

/**
 * `/healthz` says the process is alive (restart it if not); `/readyz` says it can do its job
 * (send it traffic if so). Both are public so that orchestrators can call them without a token;
 * they reveal nothing but up/down.
 */
export function healthRouter(deps: { db: Db; temporalReady: ReadinessProbe }): Router {
  const router = Router();
  route(router, 'GET /healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  route(router, 'GET /readyz', async (_req, res) => {
    const [postgres, temporal] = await Promise.all([isDatabaseReachable(deps.db), deps.temporalReady()]);
    const ready = postgres && temporal;
    res.status(ready ? 200 : 503).json({
      status: ready ? 'ready' : 'unavailable',
      checks: { postgres: postgres ? 'up' : 'down', temporal: temporal ? 'up' : 'down' },
    });
  });
  return router;
}
