import { ScheduleAlreadyRunning, ScheduleNotFoundError, type Client } from '@temporalio/client';
import type { scoreCustomersWorkflow } from '../workflows/score-customers.ts';
import type { TaskQueues } from './task-queues.ts';
import { scoreCustomersWorkflowId } from './workflow-ids.ts';

export const NIGHTLY_SCORING_SCHEDULE_ID = 'nightly-scoring';

/**
 * The nightly scoring run as a Temporal Schedule (visible and pausable in the Web UI). Created
 * on start-up, updated when the cron or time zone changes. A run still going when the next is
 * due is not doubled (overlap: skip).
 */
export async function ensureScoringSchedule(
  client: Client,
  opts: { queues: TaskQueues; cron: string; timeZone: string },
): Promise<void> {
  const spec = { cronExpressions: [opts.cron], timezone: opts.timeZone };
  const { queues } = opts;
  const action = {
    type: 'startWorkflow' as const,
    workflowType: 'scoreCustomersWorkflow',
    workflowId: scoreCustomersWorkflowId(queues),
    taskQueue: opts.queues.workflows,
    args: [{ trigger: 'schedule', scoringTaskQueue: opts.queues.scoring }] as Parameters<typeof scoreCustomersWorkflow>,
  };
  const handle = client.schedule.getHandle(NIGHTLY_SCORING_SCHEDULE_ID);
  try {
    await handle.update((previous) => ({ ...previous, spec, action }));
  } catch (err) {
    if (!(err instanceof ScheduleNotFoundError)) throw err;
    try {
      await client.schedule.create({
        scheduleId: NIGHTLY_SCORING_SCHEDULE_ID,
        spec,
        action,
        policies: { overlap: 'SKIP', catchupWindow: '1 hour' },
      });
    } catch (createErr) {
      // Another process created it in between: fine.
      if (!(createErr instanceof ScheduleAlreadyRunning)) throw createErr;
    }
  }
}

/**
 * The daily analytics maintenance: monthly event partitions ahead of time, retention, late
 * attribution. Named after the workflow queue, so test runs on their own queues never share it.
 */
export async function ensureAnalyticsSchedule(
  client: Client,
  opts: { queues: TaskQueues; cron: string; timeZone: string },
): Promise<void> {
  const scheduleId = `analytics-maintenance/${opts.queues.workflows}`;
  const spec = { cronExpressions: [opts.cron], timezone: opts.timeZone };
  const action = {
    type: 'startWorkflow' as const,
    workflowType: 'maintainAnalyticsWorkflow',
    workflowId: scheduleId,
    taskQueue: opts.queues.workflows,
    workflowExecutionTimeout: '2 hours',
  };
  const handle = client.schedule.getHandle(scheduleId);
  try {
    await handle.update((previous) => ({ ...previous, spec, action }));
  } catch (err) {
    if (!(err instanceof ScheduleNotFoundError)) throw err;
    try {
      // A missed day is caught up once: the partitions it would have made are needed.
      await client.schedule.create({ scheduleId, spec, action, policies: { overlap: 'SKIP', catchupWindow: '1 day' } });
    } catch (createErr) {
      if (!(createErr instanceof ScheduleAlreadyRunning)) throw createErr;
    }
  }
}

/** Starts a scoring run now, or joins the one already running. */
export async function startScoring(
  client: Client,
  queues: TaskQueues,
  trigger: 'manual' | 'import',
): Promise<{ workflowId: string; runId: string }> {
  const handle = await client.workflow.start<typeof scoreCustomersWorkflow>('scoreCustomersWorkflow', {
    workflowId: scoreCustomersWorkflowId(queues),
    taskQueue: queues.workflows,
    args: [{ trigger, scoringTaskQueue: queues.scoring }],
    workflowIdConflictPolicy: 'USE_EXISTING',
  });
  return { workflowId: handle.workflowId, runId: handle.firstExecutionRunId };
}
