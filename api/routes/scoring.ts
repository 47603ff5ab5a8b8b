import { Router } from 'express';
import { z } from 'zod';
import type { Db } from '../../platform/db.ts';
import { startScoring } from '../../temporal/schedules.ts';
import { route } from '../auth/middleware.ts';
import type { Workflows } from '../app.ts';
import { defineRoute } from '../route-spec.ts';

const listQuery = z.strictObject({ limit: z.coerce.number().int().min(1).max(100).default(20) });

export const scoringRoutes = {
  start: defineRoute({
    key: 'POST /api/scoring/runs',
    tag: 'Scoring',
    summary: 'Start a scoring run now, or get the one already running',
    responses: {
      202: {
        description: 'The scoring workflow.',
        schema: z.object({ workflowId: z.string(), runId: z.string() }),
      },
    },
  }),
  list: defineRoute({
    key: 'GET /api/scoring/runs',
    tag: 'Scoring',
    summary: 'Recent scoring runs, each with its model fits',
    query: listQuery,
    responses: { 200: { description: 'The runs, newest first.' } },
  }),
};

export function scoringRouter(deps: { db: Db; workflows: Workflows }): Router {
  const router = Router();

  /** Starts a scoring run now, or returns the one already running. */
  route(router, scoringRoutes.start, async (_req, res) => {
    const started = await startScoring(deps.workflows.client, deps.workflows.queues, 'manual');
    res.locals.audit = { entityId: started.runId };
    res.status(202).json(started);
  });

  /** Recent runs, each with its model fits: what was fitted, on how many customers, and whether it was used. */
  route(router, scoringRoutes.list, async (_req, res, { query: { limit } }) => {
    const runs = await deps.db('score_runs').orderBy('started_at', 'desc').limit(limit);
    const fits = runs.length
      ? await deps.db('model_fits').whereIn(
          'run_id',
          runs.map((r) => r.id),
        )
      : [];
    res.json({
      items: runs.map((r) => ({
        id: r.id,
        status: r.status,
        trigger: r.trigger,
        asOf: r.as_of,
        customersScored: r.customers_scored,
        error: r.error,
        startedAt: r.started_at,
        finishedAt: r.finished_at,
        fits: fits
          .filter((f) => f.run_id === r.id)
          .map((f) => ({
            model: f.model,
            params: f.params,
            logLikelihood: f.log_likelihood,
            sampleSize: f.sample_size,
            distinctRows: f.distinct_rows,
            converged: f.converged,
            used: f.used,
            message: f.message,
            timeUnit: f.time_unit,
            durationMs: f.duration_ms,
            fittedAt: f.fitted_at,
          })),
      })),
    });
  });

  return router;
}
