import type { Db } from '../platform/db.ts';
import type { Logger } from '../platform/logger.ts';
import { createPlatformActivities } from './platform.ts';

export interface ActivityDeps {
  db: Db;
  log: Logger;
}

/**
 * Every activity of the platform, built from its dependencies by the worker. Workflows proxy
 * `Activities` as a type only.
 */
export function createActivities(deps: ActivityDeps) {
  return {
    ...createPlatformActivities(deps),
  };
}

export type Activities = ReturnType<typeof createActivities>;
