import { proxyActivities, workflowInfo } from '@temporalio/workflow';
import type { Activities } from '../activities/index.ts';

const { checkDatabase } = proxyActivities<Activities>({
  startToCloseTimeout: '30 seconds',
  retry: { maximumAttempts: 3, initialInterval: '1 second' },
});

export interface SelfCheckResult {
  workflowId: string;
  taskQueue: string;
  postgres: string;
  migrationsApplied: number;
}

/**
 * Run by the launcher after start-up and by the smoke test: a round trip through the Temporal
 * server, the worker and PostgreSQL, so "started" means "can run a campaign".
 */
export async function selfCheckWorkflow(): Promise<SelfCheckResult> {
  const info = workflowInfo();
  const db = await checkDatabase();
  return {
    workflowId: info.workflowId,
    taskQueue: info.taskQueue,
    postgres: db.serverVersion,
    migrationsApplied: db.migrationsApplied,
  };
}
