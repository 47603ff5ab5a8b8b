import { proxyActivities, sleep } from '@temporalio/workflow';

// A test fixture: a workflow that waits a week, as a campaign waits for its days.
export interface WeekLongActivities {
  recordDay(day: number): Promise<void>;
}

const { recordDay } = proxyActivities<WeekLongActivities>({ startToCloseTimeout: '10 seconds' });

export async function weekLongWorkflow(days: number): Promise<{ startedAt: number; finishedAt: number }> {
  const startedAt = Date.now();
  for (let day = 1; day <= days; day++) {
    await sleep('1 day');
    await recordDay(day);
  }
  return { startedAt, finishedAt: Date.now() };
}
