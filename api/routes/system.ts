import { Router } from 'express';
import type { ProviderSummary } from '../../activities/messaging/providers/index.ts';
import type { PlannerSummary } from '../../domain/planning/types.ts';
import { route } from '../auth/middleware.ts';

/**
 * What this installation runs on, for the UI to say: the campaign planner (the LLM and its
 * model, or the deterministic planner and why) and the provider of each channel. Worked out
 * from the configuration when the process starts; nothing here calls out.
 */
export interface SystemInfo {
  planner: PlannerSummary;
  providers: ProviderSummary;
}

export function systemRouter(deps: { system: SystemInfo }): Router {
  const router = Router();
  route(router, 'GET /api/system', (_req, res) => {
    res.json(deps.system);
  });
  return router;
}
