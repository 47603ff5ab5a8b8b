import { ApplicationFailure, log, patched, proxyActivities, workflowInfo } from '@temporalio/workflow';
import type { Activities } from '../activities/index.ts';
import type { FittedModels } from '../activities/scoring.ts';

const quick = proxyActivities<Activities>({
  startToCloseTimeout: '1 minute',
  retry: { maximumAttempts: 10, initialInterval: '1 second' },
});

// Long, chunked steps run on the scoring task queue and heartbeat their cursor: a lost worker is
// noticed within a minute and the retry resumes from the last chunk.
function scoringSteps(taskQueue: string) {
  const retry = {
    maximumAttempts: 5,
    initialInterval: '5 seconds',
    nonRetryableErrorTypes: ['ModelFitFailed', 'ScoringInputError'],
  };
  return {
    chunked: proxyActivities<Activities>({
      taskQueue,
      startToCloseTimeout: '2 hours',
      heartbeatTimeout: '1 minute',
      retry,
    }),
    // Index builds, the swap of the new scores table and the segment counts: statements that
    // cannot heartbeat. On a first run it also copies every customer's segment to customers.
    finishing: proxyActivities<Activities>({ taskQueue, startToCloseTimeout: '30 minutes', retry }),
  };
}

/**
 * Customers who moved into high churn risk get a win-back journey. The scores are in by now:
 * a failure here is logged and leaves the run completed, and tomorrow's run tries again.
 */
async function startWinBackJourneys(scoringRunId: string, workflowsTaskQueue: string): Promise<void> {
  try {
    await winBacks.startWinBackJourneys({ scoringRunId, workflowsTaskQueue });
  } catch (err) {
    log.warn('win-back journeys were not started', { scoringRunId, error: (err as Error).message });
  }
}

const winBacks = proxyActivities<Activities>({
  startToCloseTimeout: '30 minutes',
  heartbeatTimeout: '1 minute',
  retry: { maximumAttempts: 5, initialInterval: '5 seconds' },
});

export interface ScoreCustomersInput {
  trigger: 'manual' | 'import' | 'schedule';
  scoringTaskQueue: string;
}

export interface ScoreCustomersResult {
  runId: string;
  customers: number;
  fits: Omit<FittedModels, 'model'>;
}

/**
 * Scores every customer: features in SQL, model fits, per-customer scores written back, segment
 * counts. Runs on demand (after an import) and nightly from a Temporal Schedule.
 */
export async function scoreCustomersWorkflow(input: ScoreCustomersInput): Promise<ScoreCustomersResult> {
  const info = workflowInfo();
  // Fixed once, so that retried steps all score "as of" the same instant.
  const asOf = new Date(info.startTime).toISOString();
  const steps = scoringSteps(input.scoringTaskQueue);
  const runId = await quick.startScoringRun({ trigger: input.trigger, workflowId: info.workflowId, asOf });
  try {
    await steps.chunked.computeCustomerFeatures(runId, asOf);
    const fitted = await steps.chunked.fitScoringModels(runId);
    const customers = await steps.chunked.writeCustomerScores(runId, fitted.model);
    await steps.finishing.finishScoringRun(runId, { scored: customers });
    if (patched('win-back-journeys')) await startWinBackJourneys(runId, info.taskQueue);
    return { runId, customers, fits: { bgnbd: fitted.bgnbd, gammaGamma: fitted.gammaGamma } };
  } catch (err) {
    const message = err instanceof Error ? (err.cause instanceof Error ? err.cause.message : err.message) : String(err);
    await quick.finishScoringRun(runId, { error: message });
    throw ApplicationFailure.nonRetryable(`Scoring run ${runId} failed: ${message}`, 'ScoringRunFailed');
  }
}
