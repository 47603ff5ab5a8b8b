import { ActivityFailure, condition, log, proxyActivities, setHandler, workflowInfo } from '@temporalio/workflow';
import type { JourneyExit, JourneyKind } from '../domain/journeys/definitions.ts';
import type { Activities } from '../activities/index.ts';
import {
  journeyEventSignal,
  journeyStateQuery,
  type JourneyResult,
  type JourneyState,
  type JourneyWorkflowInput,
} from './journey-messages.ts';

/**
 * One customer's journey: its steps as the store's settings said when it started, each sent at
 * its hour after the start through the campaigns' sending path (templates, compliance at send
 * time, the shared frequency cap, the ledger). Before each send the activity looks for a reason
 * to stop (an opt-out, a suppression, a purchase where the journey ends on one); a purchase event
 * signalled in ends a waiting journey at once.
 */

const quick = proxyActivities<Activities>({
  startToCloseTimeout: '1 minute',
  retry: { maximumAttempts: 10, initialInterval: '1 second' },
});

function sending(taskQueue: string | undefined) {
  return proxyActivities<Activities>({
    ...(taskQueue ? { taskQueue } : {}),
    startToCloseTimeout: '2 minutes',
    // The product's rule for a failed send: 3 attempts in all, 5 minutes apart.
    retry: { maximumAttempts: 3, initialInterval: '5 minutes', backoffCoefficient: 1 },
  });
}

async function runJourney(journey: JourneyKind, input: JourneyWorkflowInput): Promise<JourneyResult> {
  const info = workflowInfo();
  const runId = info.firstExecutionRunId;
  const startedAt = info.startTime.getTime();
  const state: JourneyState = {
    journey,
    status: 'starting',
    step: 0,
    steps: 0,
    nextStepAt: null,
    exitReason: null,
    sent: 0,
    skipped: 0,
    failed: 0,
  };
  let exitsOnPurchase = false;
  let purchased = false;
  setHandler(journeyEventSignal, (event) => {
    if (event.type === 'purchase') purchased = true;
  });
  setHandler(journeyStateQuery, () => state);

  const plan = await quick.beginJourney({
    journey,
    runId,
    workflowId: info.workflowId,
    customerId: input.customerId,
    trigger: input.trigger,
    startedAt: new Date(startedAt).toISOString(),
  });
  exitsOnPurchase = plan.exitsOnPurchase;
  state.steps = plan.steps.length;
  const exitNow = (): JourneyExit | null => (exitsOnPurchase && purchased ? 'purchased' : null);
  const sends = sending(input.sendsTaskQueue);

  let exit: JourneyExit | null = plan.enabled ? null : 'switched_off';
  for (const [i, step] of plan.steps.entries()) {
    if (exit) break;
    state.step = i;
    const due = startedAt + step.afterHours * 3_600_000;
    state.status = 'waiting';
    state.nextStepAt = new Date(due).toISOString();
    if (due > Date.now()) await condition(() => exitNow() !== null, due - Date.now());
    exit = exitNow();
    if (exit) break;
    state.status = 'sending';
    state.nextStepAt = null;
    for (;;) {
      let outcome;
      try {
        outcome = await sends.sendJourneyStep({
          journey,
          runId,
          customerId: input.customerId,
          step: i,
          message: step,
          startedAt: new Date(startedAt).toISOString(),
          exitsOnPurchase,
          now: Date.now(),
        });
      } catch (err) {
        if (!(err instanceof ActivityFailure)) throw err;
        // Retries exhausted: the ledger row says failed; the journey goes on to its next step.
        log.warn('journey step failed for good', { journey, step: i, error: err.cause?.message ?? err.message });
        state.failed++;
        break;
      }
      if (outcome.outcome === 'exit') {
        exit = outcome.exit;
        break;
      }
      if (outcome.outcome === 'wait') {
        // Quiet hours on the customer's clock: the step goes out when they end.
        state.status = 'waiting';
        state.nextStepAt = new Date(outcome.retryAt).toISOString();
        await condition(() => exitNow() !== null, Math.max(outcome.retryAt - Date.now(), 1));
        exit = exitNow();
        if (exit) break;
        state.status = 'sending';
        continue;
      }
      if (outcome.outcome === 'sent') state.sent++;
      else if (outcome.outcome === 'skipped') state.skipped++;
      else state.failed++;
      break;
    }
  }

  state.status = exit ? 'exited' : 'completed';
  state.exitReason = exit;
  state.nextStepAt = null;
  await quick.finishJourney({ runId, status: state.status, exitReason: exit });
  return { status: state.status, exitReason: exit, sent: state.sent, skipped: state.skipped, failed: state.failed };
}

/** Welcome series for a new customer (a `signup` event): day 0, day 3 and day 7 by default. */
export async function welcomeJourneyWorkflow(input: JourneyWorkflowInput): Promise<JourneyResult> {
  return runJourney('welcome', input);
}

/** After a `purchase` event: a follow-up with a cross-sell from the customer's primary category. */
export async function postPurchaseJourneyWorkflow(input: JourneyWorkflowInput): Promise<JourneyResult> {
  return runJourney('post_purchase', input);
}

/** Started by the nightly scoring run when a customer moves into high churn risk; a purchase ends it. */
export async function winBackJourneyWorkflow(input: JourneyWorkflowInput): Promise<JourneyResult> {
  return runJourney('win_back', input);
}

/** A `cart_abandoned` event: waits up to N hours for the purchase, reminds only if it has not come. */
export async function abandonedCartJourneyWorkflow(input: JourneyWorkflowInput): Promise<JourneyResult> {
  return runJourney('abandoned_cart', input);
}
