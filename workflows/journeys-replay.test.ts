import { readFileSync } from 'node:fs';
import { bundleWorkflowCode, Worker, type WorkflowBundle } from '@temporalio/worker';
import { beforeAll, describe, expect, it } from 'vitest';
import { historyFromJSON, type History } from '../platform/testing/histories.ts';
import { workflowsPath } from '../temporal/worker.ts';

/**
 * Recorded histories of journey workflows replayed against today's code: a change that would
 * break journeys already running (they wait days between steps) fails here instead of in
 * production. Recorded by workflows/journeys.test.ts:
 *
 *   RECORD_JOURNEY_HISTORIES=1 npm exec -- vitest run workflows/journeys.test.ts
 *
 * Re-record only while no journey runs the old code. Once journeys run, a change to what the
 * workflow does goes behind `patched('<change-id>')`, the old fixtures stay (they must still
 * replay), and the new path is recorded into new files added to the list below.
 */

const fixtures = {
  'journey-welcome-history.json': { workflow: 'welcomeJourneyWorkflow', sends: 3 },
  'journey-cart-purchased-history.json': { workflow: 'abandonedCartJourneyWorkflow', sends: 0 },
  'journey-win-back-history.json': { workflow: 'winBackJourneyWorkflow', sends: 2 },
};

function fixture(name: string): History {
  return historyFromJSON(JSON.parse(readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8')));
}

describe('journey workflows replay', () => {
  let bundle: WorkflowBundle;
  beforeAll(async () => {
    bundle = await bundleWorkflowCode({ workflowsPath });
  });

  it.each(Object.entries(fixtures))('%s is a finished journey of its kind', (name, expected) => {
    const events = fixture(name).events ?? [];
    expect(events[0]?.workflowExecutionStartedEventAttributes?.workflowType?.name).toBe(expected.workflow);
    expect(events.at(-1)?.workflowExecutionCompletedEventAttributes).toBeDefined();
    const sent = events.filter(
      (e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'sendJourneyStep',
    ).length;
    // Steps in quiet hours are asked again when they end: at least one ask per message.
    expect(sent).toBeGreaterThanOrEqual(expected.sends);
  });

  it.each(Object.keys(fixtures))('replays %s without a determinism error', async (name) => {
    await expect(Worker.runReplayHistory({ workflowBundle: bundle }, fixture(name))).resolves.toBeUndefined();
  });
});
