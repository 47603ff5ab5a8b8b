// The worker's workflow bundle: every workflow the platform runs is exported here.
export { selfCheckWorkflow } from './self-check.ts';
