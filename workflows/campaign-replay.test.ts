import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { bundleWorkflowCode, Worker, type WorkflowBundle } from '@temporalio/worker';
import { DeterminismViolationError } from '@temporalio/workflow';
import { defaultPayloadConverter } from '@temporalio/common';
import { beforeAll, describe, expect, it } from 'vitest';
import { historyFromJSON, type History } from '../platform/testing/histories.ts';
import { workflowsPath } from '../temporal/worker.ts';

/**
 * Recorded histories of the campaign workflow (see workflows/fixtures/record-campaign-history.ts,
 * which also says how to re-record) replayed against today's code: a change that would break
 * campaigns already running fails here, in CI, instead of in production.
 */

const fixtures = ['campaign-history.json', 'campaign-cancelled-history.json', 'campaign-fallback-history.json'];

function fixture(name: string): History {
  return historyFromJSON(JSON.parse(readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8')));
}

/** The names of the activities the history scheduled, and the updates it accepted. */
function summary(history: History) {
  const events = history.events ?? [];
  return {
    activities: new Set(events.map((e) => e.activityTaskScheduledEventAttributes?.activityType?.name).filter(Boolean)),
    updates: events
      .map((e) => e.workflowExecutionUpdateAcceptedEventAttributes?.acceptedRequest?.input?.name)
      .filter(Boolean),
    closed: events.at(-1)?.workflowExecutionCompletedEventAttributes !== undefined,
    patches: events
      .map((e) => e.markerRecordedEventAttributes?.details?.['patch-data']?.payloads?.[0])
      .filter(Boolean)
      .map((p) => (defaultPayloadConverter.fromPayload(p!) as { id: string }).id),
  };
}

describe('campaignWorkflow replay', () => {
  let bundle: WorkflowBundle;
  beforeAll(async () => {
    bundle = await bundleWorkflowCode({ workflowsPath });
  });

  it('has fixtures that cover the lifecycle: edits, approval, pause and resume, retries, cancel', () => {
    const completed = summary(fixture('campaign-history.json'));
    expect(completed.closed).toBe(true);
    expect(completed.updates).toEqual(['generate', 'editActions', 'approve', 'start', 'pause', 'resume']);
    expect([...completed.activities]).toEqual(
      expect.arrayContaining([
        'sendCampaignBatch',
        'countRetryableSends',
        'markUnconfirmedSends',
        'recordCampaignResults',
      ]),
    );
    const cancelled = summary(fixture('campaign-cancelled-history.json'));
    expect(cancelled.closed).toBe(true);
    expect(cancelled.updates).toEqual(['generate', 'approve', 'start', 'cancel']);
    expect([...cancelled.activities]).toContain('closeCampaignLedger');
    // DAY_DELIVERY_WAITS: the day's delivery wait, fallback texts and results.
    const fallback = summary(fixture('campaign-fallback-history.json'));
    expect(fallback.closed).toBe(true);
    expect(fallback.patches).toContain('day-delivery-waits-and-sms-fallback');
    expect([...fallback.activities]).toEqual(
      expect.arrayContaining(['campaignDayOutcomes', 'recordCampaignDayResults', 'sendCampaignBatch']),
    );
    expect(completed.patches).toEqual([]);
  });

  it.each(fixtures)('replays %s without a determinism error', async (name) => {
    await expect(Worker.runReplayHistory({ workflowBundle: bundle }, fixture(name))).resolves.toBeUndefined();
  });

  it('fails on a workflow change that is not replay-safe', async () => {
    // The same workflow with one more activity call, as someone might add it without patched().
    const altered = fileURLToPath(new URL('./fixtures/campaign-altered.ts', import.meta.url));
    await expect(
      Worker.runReplayHistory({ workflowsPath: altered }, fixture('campaign-history.json')),
    ).rejects.toBeInstanceOf(DeterminismViolationError);
  });
});
