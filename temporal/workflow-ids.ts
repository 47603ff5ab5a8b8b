import type { TaskQueues } from './task-queues.ts';

/** Business keys as workflow ids: one workflow per campaign, found again by its id. */
export function campaignWorkflowId(campaignId: string): string {
  return `campaign-${campaignId}`;
}

/**
 * Workflow id of the one scoring run at a time: later triggers attach to a running one. It names
 * the task queue so that two deployments sharing a namespace (or parallel tests) stay apart.
 */
export function scoreCustomersWorkflowId(queues: TaskQueues): string {
  return `score-customers/${queues.workflows}`;
}

/** The sandbox-event schedule of one deployment (its task queues), and so the id of its runs. */
export function sandboxEventsScheduleId(queues: TaskQueues): string {
  return `sandbox-events/${queues.workflows}`;
}
