import { continueAsNew, proxyActivities, workflowInfo } from '@temporalio/workflow';
import type { createJourneyDispatchActivities, DispatchRunInput } from '../activities/journey-dispatch.ts';

const { dispatchJourneyEvents } = proxyActivities<ReturnType<typeof createJourneyDispatchActivities>>({
  // The activity returns after `runForMs` (5 minutes by default); a worker that dies is noticed by its heartbeat.
  startToCloseTimeout: '10 minutes',
  heartbeatTimeout: '30 seconds',
  // Never given up: events wait in PostgreSQL until a worker delivers them.
  retry: { initialInterval: '1 second', maximumInterval: '30 seconds' },
});

/**
 * The journey dispatcher of one deployment, always running (temporal/journey-starts.ts starts
 * it once, by a fixed id): the events API accepts events by storing them, and this delivers them
 * to the customers' journeys. A workflow rather than a loop of the worker process's own, so that
 * Temporal keeps exactly one running per deployment, moves it to another worker when its worker
 * dies (heartbeat timeout), retries it without end, and shows it in the Web UI with the others.
 */
export async function journeyDispatchWorkflow(input: DispatchRunInput): Promise<never> {
  // 100 runs of a few events each keep the history far from its limits.
  for (let i = 0; i < 100 && !workflowInfo().continueAsNewSuggested; i++) {
    await dispatchJourneyEvents(input);
  }
  return continueAsNew<typeof journeyDispatchWorkflow>(input);
}
