// The worker's workflow bundle: every workflow the platform runs is exported here.
export { campaignWorkflow } from './campaign.ts';
export { scoreCustomersWorkflow } from './score-customers.ts';
export { selfCheckWorkflow } from './self-check.ts';
