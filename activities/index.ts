import type { Db } from '../platform/db.ts';
import type { Logger } from '../platform/logger.ts';
import { createAnalyticsActivities, type AnalyticsSettings } from './analytics/maintenance.ts';
import { createCampaignActivities, type CampaignDeps } from './campaigns.ts';
import { createJourneyActivities } from './journeys.ts';
import { createPlatformActivities } from './platform.ts';
import { createScoringActivities, type ScoringSettings } from './scoring.ts';
import type { SandboxProviders } from './messaging/providers/index.ts';
import { createSandboxEventActivities } from './webhooks/sandbox-events.ts';

export interface ActivityDeps extends Omit<CampaignDeps, 'db'> {
  db: Db;
  log: Logger;
  scoring: ScoringSettings;
  analytics: AnalyticsSettings;
  /** The sandbox provider, when a channel uses it: its simulated events are ingested on a schedule. */
  sandbox?: SandboxProviders;
  /**
   * Aborted when the worker starts to shut down, so that a long-running activity (the journey
   * dispatcher) ends then rather than when the shutdown grace time runs out.
   */
  stopping?: AbortSignal;
}

/**
 * Every activity of the platform, built from its dependencies by the worker. Workflows proxy
 * `Activities` as a type only.
 */
export function createActivities(deps: ActivityDeps) {
  return {
    ...createPlatformActivities(deps),
    ...createScoringActivities(deps),
    ...createCampaignActivities(deps),
    ...createJourneyActivities(deps),
    ...createAnalyticsActivities(deps),
    ...createSandboxEventActivities(deps),
  };
}

export type Activities = ReturnType<typeof createActivities>;
