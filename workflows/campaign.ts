import {
  ApplicationFailure,
  CancellationScope,
  condition,
  continueAsNew,
  isCancellation,
  patched,
  proxyActivities,
  setHandler,
  upsertSearchAttributes,
  workflowInfo,
  allHandlersFinished,
} from '@temporalio/workflow';
import type { Duration } from '@temporalio/common';
import { msToNumber } from '@temporalio/common/lib/time.js';
import type { Activities } from '../activities/index.ts';
import { CampaignStatus } from '../temporal/search-attributes.ts';
import type { SendBatchInput, SendCounts } from '../activities/campaigns.ts';
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

/**
 * Versions of this workflow, for `patched()`: campaigns started before a change replay the code
 * they ran, and take the new path from the next point where it diverges.
 */
// After each day: wait for its delivery outcomes, text instead of the e-mails that could not
// reach their customer, mark the rest unconfirmed and record the day's results.
export const DAY_DELIVERY_WAITS = 'day-delivery-waits-and-sms-fallback';

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
  // A batch heartbeats after every message and provider call, so a pause's cancellation reaches it within seconds.
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
    /** Days went through the delivery wait of DAY_DELIVERY_WAITS (so the end needs no wait of its own). */
    dayWaits: input.resume?.dayWaits ?? false,
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
    if (patched(DAY_DELIVERY_WAITS)) {
      state.dayWaits = true;
      await closeDay(day.day, days[d + 1]?.windows[0]?.opensAt ?? null);
      if (stopped()) break;
    }
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
          ...(state.dayWaits ? { dayWaits: true } : {}),
        },
      });
    }
  }
  state.nextSendAt = null;
  if (stopped()) {
    await db.closeCampaignLedger(input.campaignId);
    return finish('cancelled');
  }

  if (!state.dayWaits) {
    // Webhooks arrive in Postgres; the workflow only looks at the aggregate once the wait is over.
    await sleepUnlessCancelled(timings.deliveryWait);
    await db.markUnconfirmedSends(input.campaignId);
  }
  await sleepUnlessCancelled(timings.engagementWindow);
  // Late fallback texts have had the engagement window to show they arrived.
  if (state.dayWaits) await db.markUnconfirmedSends(input.campaignId);
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

  /** Sends a window's due actions in batches of at most 1,000, stopping between provider calls on pause. */
  async function sendWindow(
    day: number,
    opensAt: number,
    attempt: number,
    fallback?: SendBatchInput['fallback'],
  ): Promise<void> {
    let cursor: string | null = null;
    do {
      await waitUntil(opensAt);
      if (stopped()) return;
      sendScope = new CancellationScope();
      try {
        const batch = await sendScope.run(() =>
          sending.sendCampaignBatch({
            campaignId: input.campaignId,
            day,
            opensAt,
            attempt,
            cursor,
            now: Date.now(),
            ...(fallback ? { fallback } : {}),
          }),
        );
        addCounts(batch.counts);
        cursor = batch.nextCursor;
      } catch (err) {
        // A pause or cancel interrupted the batch after the provider call it was on; its ledger is exact.
        if (!isCancellation(err)) {
          state.lastError = describe(err);
          throw err;
        }
      } finally {
        sendScope = undefined;
      }
    } while (cursor !== null || state.paused);
  }

  /**
   * The end of a campaign day: wait for its delivery outcomes (bounded by the delivery wait),
   * replace what could not reach its customer by texts, and record the day's results.
   */
  async function closeDay(day: number, nextOpensAt: number | null): Promise<void> {
    const daySent = Date.now();
    await awaitDeliveries(day, daySent + msToNumber(timings.deliveryWait));
    if (stopped()) return;
    if (timings.smsFallback) {
      if ((await sendFallbacks(day, null)) > 0) {
        await awaitDeliveries(day, Date.now() + msToNumber(timings.deliveryWait));
        if (stopped()) return;
      }
      const unopenedAfter = timings.smsFallbackUnopenedAfter;
      // Unopened e-mails get their text before the next day's sends, never after them.
      if (unopenedAfter !== null) {
        const due = daySent + msToNumber(unopenedAfter);
        if (nextOpensAt === null || due < nextOpensAt) {
          await sleepUnlessCancelled(Math.max(0, due - Date.now()));
          if (stopped()) return;
          await sendFallbacks(day, msToNumber(unopenedAfter));
          if (stopped()) return;
        }
      }
    }
    await db.markUnconfirmedSends(input.campaignId, day);
    await db.recordCampaignDayResults(input.campaignId, day);
  }

  /**
   * Looks at the day's outcomes in the ledger, less and less often (webhooks keep it current;
   * no event becomes a signal), until nothing awaits evidence or the deadline passes.
   */
  async function awaitDeliveries(day: number, deadline: number): Promise<void> {
    // Most evidence comes within minutes; the rest may take hours. Few looks keep the history
    // short: 6 hours of waiting take 7 (0, 2, 12 and 62 minutes, then every 2 hours).
    let pause = 2 * 60_000;
    const longest = msToNumber(timings.deliveryPollMax);
    for (;;) {
      const outcomes = await db.campaignDayOutcomes(input.campaignId, day);
      const left = deadline - Date.now();
      if (outcomes.awaiting === 0 || left <= 0) return;
      await sleepUnlessCancelled(Math.min(pause, left));
      if (stopped()) return;
      pause = Math.min(pause * 5, longest);
    }
  }

  /** A fallback pass over the day's e-mails, then retries of the texts that failed; returns how many went out. */
  async function sendFallbacks(day: number, unopenedAfterMs: number | null): Promise<number> {
    const before = state.counts.sent;
    await sendWindow(day, Date.now(), 1, { unopenedAfterMs });
    if (stopped()) return 0;
    await retryFailures(day);
    return state.counts.sent - before;
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
