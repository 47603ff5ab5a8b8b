import {
  ApplicationFailure,
  CancellationScope,
  condition,
  continueAsNew,
  isCancellation,
  proxyActivities,
  setHandler,
  upsertSearchAttributes,
  workflowInfo,
  allHandlersFinished,
} from '@temporalio/workflow';
import type { Duration } from '@temporalio/common';
import type { Activities } from '../activities/index.ts';
import { CampaignStatus } from '../temporal/search-attributes.ts';
import type { SendCounts } from '../activities/campaigns.ts';
import {
  approveUpdate,
  cancelUpdate,
  defaultCampaignTimings,
  editActionsUpdate,
  generateUpdate,
  pauseUpdate,
  progressQuery,
  resumeUpdate,
  startUpdate,
  type CampaignProgress,
  type CampaignWorkflowInput,
} from './campaign-messages.ts';
import { refusal, type CampaignCommand, type CampaignStatus as Status } from '../domain/campaigns/lifecycle.ts';

const emptyCounts = (): SendCounts => ({ sent: 0, skipped: 0, failed: 0, retrying: 0, unknown: 0 });

const db = proxyActivities<Activities>({
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '1 second', maximumInterval: '1 minute' },
});

/**
 * One campaign from draft to results. The workflow only orchestrates: the plan, the ledger and
 * every send live in Postgres and happen in activities; the workflow decides what happens next.
 * Marketers drive it with updates (each checked against the lifecycle before it is accepted).
 */
export async function campaignWorkflow(input: CampaignWorkflowInput): Promise<CampaignProgress> {
  const timings = { ...defaultCampaignTimings, ...input.timings };
  const planning = proxyActivities<Activities>({
    taskQueue: input.queues.planning,
    startToCloseTimeout: '10 minutes',
    heartbeatTimeout: '1 minute',
    retry: { maximumAttempts: 3, nonRetryableErrorTypes: ['PlanRejected'] },
  });
  // A batch heartbeats after every message, so a pause's cancellation reaches it within seconds.
  const sending = proxyActivities<Activities>({
    taskQueue: input.queues.sends,
    startToCloseTimeout: '30 minutes',
    heartbeatTimeout: '10 seconds',
    cancellationType: 'WAIT_CANCELLATION_COMPLETED',
    retry: { initialInterval: '5 seconds', maximumInterval: '1 minute' },
  });

  const state = {
    status: input.resume?.status ?? ('draft' as Status),
    day: null as number | null,
    nextDay: input.resume?.nextDay ?? 0,
    counts: input.resume?.counts ?? emptyCounts(),
    nextSendAt: null as string | null,
    lastError: input.resume?.lastError ?? null,
    generateRequested: false,
    started: input.resume !== undefined && input.resume.status !== 'scheduled',
    paused: input.resume?.status === 'paused',
    cancelled: false,
  };
  let sendScope: CancellationScope | undefined;

  const progress = (): CampaignProgress => ({
    campaignId: input.campaignId,
    status: state.status,
    day: state.day,
    counts: { ...state.counts },
    nextSendAt: state.nextSendAt,
    lastError: state.lastError,
  });

  async function setStatus(status: Status): Promise<void> {
    state.status = status;
    upsertSearchAttributes([{ key: CampaignStatus, value: status }]);
    await db.recordCampaignStatus(input.campaignId, status, state.lastError);
  }

  const check = (command: CampaignCommand) => {
    if (state.cancelled) throw new Error('The campaign is being cancelled.');
    const why = refusal(command, state.status);
    if (why) throw new Error(why);
  };

  setHandler(progressQuery, progress);
  setHandler(
    generateUpdate,
    () => {
      state.generateRequested = true;
      return progress();
    },
    { validator: () => check('generate') },
  );
  setHandler(
    editActionsUpdate,
    async (edits) => {
      const result = await planning.applyActionEdits(input.campaignId, edits);
      if (result.errors.length > 0) {
        throw ApplicationFailure.nonRetryable(result.errors.join('; '), 'EditRejected', result.errors);
      }
      return { applied: result.applied };
    },
    {
      validator: (edits) => {
        check('edit');
        if (!Array.isArray(edits) || edits.length === 0) throw new Error('Send at least one edit.');
        if (edits.length > 1_000) throw new Error('At most 1,000 edits at a time.');
      },
    },
  );
  setHandler(
    approveUpdate,
    async ({ approvedBy }) => {
      // The plan is frozen here: later playbook or segment edits do not touch these actions.
      await planning.approvePlan(input.campaignId, approvedBy);
      await setStatus('scheduled');
      return progress();
    },
    { validator: (_approval: { approvedBy: string | null }) => check('approve') },
  );
  setHandler(
    startUpdate,
    () => {
      state.started = true;
      return progress();
    },
    { validator: () => check('start') },
  );
  setHandler(
    pauseUpdate,
    async () => {
      state.paused = true;
      sendScope?.cancel();
      await setStatus('paused');
      return progress();
    },
    { validator: () => check('pause') },
  );
  setHandler(
    resumeUpdate,
    async () => {
      state.paused = false;
      await setStatus(state.started ? 'active' : 'scheduled');
      return progress();
    },
    { validator: () => check('resume') },
  );
  setHandler(
    cancelUpdate,
    () => {
      state.cancelled = true;
      sendScope?.cancel();
      return progress();
    },
    { validator: () => check('cancel') },
  );

  const stopped = () => state.cancelled;
  const finish = async (status: Status) => {
    await setStatus(status);
    await condition(allHandlersFinished);
    return progress();
  };

  // Planning: generate (again) until the plan is approved.
  while (!input.resume && state.status !== 'scheduled') {
    await condition(() => state.generateRequested || state.status === 'scheduled' || stopped());
    if (stopped()) return finish('cancelled');
    if (!state.generateRequested) continue;
    state.generateRequested = false;
    await setStatus('planning');
    try {
      const planned = await planning.generateCampaignPlan(input.campaignId);
      state.lastError = planned.skipped > 0 ? `${planned.skipped} customers could not be contacted` : null;
      await setStatus('awaiting_approval');
    } catch (err) {
      state.lastError = describe(err);
      await setStatus('draft');
    }
  }

  await condition(() => state.started || stopped());
  if (stopped()) {
    // The plan is approved: its actions are cancelled with the campaign.
    await db.closeCampaignLedger(input.campaignId);
    return finish('cancelled');
  }
  if (!state.paused) await setStatus('active');

  const days = await db.campaignSendDays(input.campaignId);
  for (let d = state.nextDay; d < days.length; d++) {
    const day = days[d]!;
    state.day = day.day;
    for (const window of day.windows) {
      state.nextSendAt = new Date(window.opensAt).toISOString();
      await waitUntil(window.opensAt);
      if (stopped()) break;
      await sendWindow(day.day, window.opensAt, 1);
      if (stopped()) break;
    }
    if (stopped()) break;
    await retryFailures(day.day);
    if (stopped()) break;
    state.nextDay = d + 1;
    if (workflowInfo().continueAsNewSuggested) {
      await condition(allHandlersFinished);
      await continueAsNew<typeof campaignWorkflow>({
        ...input,
        resume: {
          status: state.status,
          nextDay: state.nextDay,
          counts: state.counts,
          lastError: state.lastError ?? undefined,
        },
      });
    }
  }
  state.nextSendAt = null;
  if (stopped()) {
    await db.closeCampaignLedger(input.campaignId);
    return finish('cancelled');
  }

  // Webhooks arrive in Postgres; the workflow only looks at the aggregate once the wait is over.
  await sleepUnlessCancelled(timings.deliveryWait);
  await db.markUnconfirmedSends(input.campaignId);
  await sleepUnlessCancelled(timings.engagementWindow);
  await db.recordCampaignResults(input.campaignId);
  return finish(stopped() ? 'cancelled' : 'completed');

  async function waitUntil(instant: number): Promise<void> {
    for (;;) {
      if (stopped()) return;
      if (state.paused) {
        await condition(() => !state.paused || stopped());
        continue;
      }
      const wait = instant - Date.now();
      if (wait <= 0) return;
      await condition(() => state.paused || stopped(), wait);
      if (!state.paused) return;
    }
  }

  async function sleepUnlessCancelled(duration: Duration): Promise<void> {
    await condition(stopped, duration);
  }

  /** Sends a window's due actions in batches of at most 1,000, stopping between messages on pause. */
  async function sendWindow(day: number, opensAt: number, attempt: number): Promise<void> {
    let cursor: string | null = null;
    do {
      await waitUntil(opensAt);
      if (stopped()) return;
      sendScope = new CancellationScope();
      try {
        const batch = await sendScope.run(() =>
          sending.sendCampaignBatch({ campaignId: input.campaignId, day, opensAt, attempt, cursor, now: Date.now() }),
        );
        addCounts(batch.counts);
        cursor = batch.nextCursor;
      } catch (err) {
        // A pause or cancel interrupted the batch after its current message; its ledger is exact.
        if (!isCancellation(err)) {
          state.lastError = describe(err);
          throw err;
        }
      } finally {
        sendScope = undefined;
      }
    } while (cursor !== null || state.paused);
  }

  async function retryFailures(day: number): Promise<void> {
    for (let attempt = 2; attempt <= timings.maxAttempts; attempt++) {
      const waiting = await db.countRetryableSends(input.campaignId, day);
      if (waiting === 0) return;
      await sleepUnlessCancelled(timings.retryDelay);
      if (stopped()) return;
      state.counts.retrying -= waiting;
      await sendWindow(day, Date.now(), attempt);
    }
    const failed = await db.failExhaustedSends(input.campaignId, day, timings.maxAttempts);
    state.counts.retrying -= failed;
    state.counts.failed += failed;
  }

  function addCounts(c: SendCounts): void {
    for (const k of Object.keys(state.counts) as (keyof SendCounts)[]) state.counts[k] += c[k];
  }
}

function describe(err: unknown): string {
  if (err instanceof Error) return err.cause instanceof Error ? err.cause.message : err.message;
  return String(err);
}
