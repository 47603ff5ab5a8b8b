import { proxyActivities } from '@temporalio/workflow';
import type { Activities } from '../activities/index.ts';
import type { MaintenanceResult } from '../activities/analytics/maintenance.ts';

const { maintainAnalytics } = proxyActivities<Activities>({
  startToCloseTimeout: '30 minutes',
  retry: { maximumAttempts: 3, initialInterval: '1 minute' },
});

/**
 * The daily analytics maintenance (partitions ahead, retention, late attribution), started by a
 * Temporal Schedule; every step is idempotent, so a retried or doubled run changes nothing.
 */
export async function maintainAnalyticsWorkflow(): Promise<MaintenanceResult> {
  return maintainAnalytics();
}
