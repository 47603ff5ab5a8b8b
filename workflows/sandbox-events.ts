import { proxyActivities } from '@temporalio/workflow';
import type { createSandboxEventActivities, SandboxIngestResult } from '../activities/webhooks/sandbox-events.ts';

const { ingestSandboxEvents } = proxyActivities<ReturnType<typeof createSandboxEventActivities>>({
  startToCloseTimeout: '5 minutes',
  retry: { maximumAttempts: 3, initialInterval: '5 seconds' },
});

/**
 * The sandbox's simulated delivery, open and click events since the last run, ingested like
 * provider webhooks. Started every minute by a Temporal Schedule; the activity keeps its own
 * cursor, so a skipped or failed run is caught up by the next.
 */
export async function ingestSandboxEventsWorkflow(): Promise<SandboxIngestResult> {
  return ingestSandboxEvents();
}
