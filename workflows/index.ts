// The worker's workflow bundle: every workflow the platform runs is exported here.
export { maintainAnalyticsWorkflow } from './analytics-maintenance.ts';
export { campaignWorkflow } from './campaign.ts';
export { journeyDispatchWorkflow } from './journey-dispatch.ts';
export {
  abandonedCartJourneyWorkflow,
  postPurchaseJourneyWorkflow,
  welcomeJourneyWorkflow,
  winBackJourneyWorkflow,
} from './journeys.ts';
export { ingestSandboxEventsWorkflow } from './sandbox-events.ts';
export { scoreCustomersWorkflow } from './score-customers.ts';
export { selfCheckWorkflow } from './self-check.ts';
