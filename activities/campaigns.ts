import type { AdminAlerts } from './alerts.ts';
import type { CampaignPlanner } from '../domain/planning/types.ts';
import type { Db } from '../platform/db.ts';
import { createCampaignPlanningActivities, type CampaignRules } from './campaign-planning.ts';
import { createCampaignRecordActivities } from './campaign-records.ts';
import { createCampaignSendingActivities, type MessagingDeps } from './campaign-sending.ts';

export type { ActionEdit, CampaignRules } from './campaign-planning.ts';
export type { SendDay } from './campaign-records.ts';
export type { MessagingDeps, SendBatchInput, SendCounts } from './campaign-sending.ts';

export interface CampaignDeps {
  db: Db;
  planner: CampaignPlanner;
  rules: CampaignRules;
  messaging: MessagingDeps;
  /** Slack and/or e-mail for admin notifications, when configured. */
  alerts?: AdminAlerts;
}

/** The campaign workflow's activities: planning, sending and the ledger's bookkeeping. */
export function createCampaignActivities(deps: CampaignDeps) {
  return {
    ...createCampaignPlanningActivities(deps),
    ...createCampaignSendingActivities(deps),
    ...createCampaignRecordActivities(deps),
  };
}
