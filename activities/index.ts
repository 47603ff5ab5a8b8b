import type { Db } from '../platform/db.ts';
import type { Logger } from '../platform/logger.ts';
import { createCampaignActivities, type CampaignDeps } from './campaigns.ts';
import { createPlatformActivities } from './platform.ts';
import { createScoringActivities, type ScoringSettings } from './scoring.ts';

export interface ActivityDeps extends Omit<CampaignDeps, 'db'> {
  db: Db;
  log: Logger;
  scoring: ScoringSettings;
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
  };
}

export type Activities = ReturnType<typeof createActivities>;
