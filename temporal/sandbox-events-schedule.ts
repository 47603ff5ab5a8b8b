import { ScheduleAlreadyRunning, ScheduleNotFoundError, type Client } from '@temporalio/client';
import type { Duration } from '@temporalio/common';
import type { TaskQueues } from './task-queues.ts';
import { sandboxEventsScheduleId } from './workflow-ids.ts';

/**
 * While a channel runs in the sandbox, its simulated events are ingested every minute, as
 * provider webhooks would arrive. With real providers on both channels the schedule is removed.
 */
export async function ensureSandboxEventsSchedule(
  client: Client,
  opts: { queues: TaskQueues; enabled: boolean; every?: Duration },
): Promise<void> {
  const scheduleId = sandboxEventsScheduleId(opts.queues);
  const handle = client.schedule.getHandle(scheduleId);
  if (!opts.enabled) {
    try {
      await handle.delete();
    } catch (err) {
      if (!(err instanceof ScheduleNotFoundError)) throw err;
    }
    return;
  }
  const spec = { intervals: [{ every: opts.every ?? '1 minute' }] };
  const action = {
    type: 'startWorkflow' as const,
    workflowType: 'ingestSandboxEventsWorkflow',
    workflowId: scheduleId,
    taskQueue: opts.queues.workflows,
    workflowExecutionTimeout: '10 minutes',
  };
  try {
    await handle.update((previous) => ({ ...previous, spec, action }));
  } catch (err) {
    if (!(err instanceof ScheduleNotFoundError)) throw err;
    try {
      // Catching up on missed minutes is pointless: one run reads everything since the cursor.
      await client.schedule.create({
        scheduleId,
        spec,
        action,
        policies: { overlap: 'SKIP', catchupWindow: '1 minute' },
      });
    } catch (createErr) {
      if (!(createErr instanceof ScheduleAlreadyRunning)) throw createErr;
    }
  }
}
