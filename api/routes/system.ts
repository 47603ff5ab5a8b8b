import { Router } from 'express';
import type { ProviderSummary } from '../../activities/messaging/providers/index.ts';
import type { PlannerSummary } from '../../domain/planning/types.ts';
import type { Config } from '../../platform/config.ts';
import { route } from '../auth/middleware.ts';
import { defineRoute } from '../route-spec.ts';

/**
 * What this installation runs on, for the UI to say: the campaign planner (the LLM and its
 * model, or the deterministic planner and why) and the provider of each channel. Worked out
 * from the configuration when the process starts; nothing here calls out.
 */
export interface SystemInfo {
  planner: PlannerSummary;
  providers: ProviderSummary;
  /** Where operators look at workflows; url null when this process cannot know it. */
  temporalUi?: { url: string | null; namespace: string };
}

/**
 * The Temporal Web UI: TEMPORAL_UI_URL when set, else the embedded dev server's UI (started on
 * TEMPORAL_UI_PORT when TEMPORAL_ADDRESS is unset), else unknown.
 */
export function temporalUiOf(
  cfg: Pick<Config, 'TEMPORAL_UI_URL' | 'TEMPORAL_ADDRESS' | 'TEMPORAL_UI_PORT' | 'TEMPORAL_NAMESPACE'>,
): NonNullable<SystemInfo['temporalUi']> {
  const url = cfg.TEMPORAL_UI_URL ?? (cfg.TEMPORAL_ADDRESS ? null : `http://localhost:${cfg.TEMPORAL_UI_PORT}`);
  return { url: url?.replace(/\/+$/, '') ?? null, namespace: cfg.TEMPORAL_NAMESPACE };
}

export const systemRoutes = {
  get: defineRoute({
    key: 'GET /api/system',
    tag: 'System',
    summary: 'The campaign planner and messaging providers this installation uses',
    responses: { 200: { description: 'The planner and each channel’s provider.' } },
  }),
};

export function systemRouter(deps: { system: SystemInfo }): Router {
  const router = Router();
  route(router, systemRoutes.get, (_req, res) => {
    res.json(deps.system);
  });
  return router;
}
