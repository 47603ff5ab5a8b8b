import proto from '@temporalio/proto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../platform/testing/database.ts';
import {
  campaignLedger,
  createTestCampaign,
  planAndApprove,
  runToCompletion,
  sendBatches,
  startCampaignTestEnv,
  startCampaignWorkflow,
  type CampaignTestEnv,
} from '../platform/testing/campaigns.ts';
import { startUpdate } from './campaign-messages.ts';

/**
 * How a campaign's history grows with its audience, measured on a few hundred recipients sent
 * in batches of 3, so that the bound for 100,000 recipients in batches of 1,000 can be derived.
 *
 * Each batch costs 6 events: ActivityTaskScheduled, -Started, -Completed and the workflow task
 * (Scheduled, Started, Completed) its result wakes. Each window the workflow sleeps until costs
 * 5: TimerStarted, TimerFired and a workflow task. Everything else — the lifecycle, one retry
 * check a day, the delivery and engagement waits — does not depend on the audience: about 140
 * events for a 7-day campaign (one run: 300 messages, 152 batches, 77 windows, 1,434 events),
 * plus each day's delivery wait: at most 7 looks at the day's outcomes and 6 timers between
 * them when no evidence ever comes (as here: the sandbox's events are not ingested), and the
 * day's unconfirmed marking and results, about 85 events a day.
 *
 * 100,000 recipients over 7 days: a window holds everyone whose send window opens at the same
 * instant; windows open on the hour, so a day has at most 24 of them and the week at most 168.
 * A window of n messages takes ⌊n / 1,000⌋ + 1 batches, so the week takes at most
 * 168 + 100 = 268: 6 × 268 + 5 × 168 + 750 ≈ 3,200 events, under a third of Temporal's 10,240-event
 * warning (the hard limit is 51,200). Retries add, per day and attempt, a timer, a check and
 * 6 events per 1,000 failed messages. Should Temporal suggest it, the workflow continues as new between days.
 */

const EventType = proto.temporal.api.enums.v1.EventType;
const BATCH = 3;
const HISTORY_WARNING = 10_240;

describe('campaignWorkflow history size (time-skipping)', () => {
  let t: TestDatabase;
  let c: CampaignTestEnv;

  beforeAll(async () => {
    t = await createTestDatabase();
    c = await startCampaignTestEnv(t.db, { name: 'campaign-history', customerCount: 900, batchSize: BATCH });
  });
  afterAll(async () => {
    await c?.teardown();
    await t?.drop();
  });

  it('sends windows larger than a batch exactly once, at 6 history events per batch', async () => {
    const campaignId = await createTestCampaign(c, { audienceSize: 300 });
    const handle = await startCampaignWorkflow(c, campaignId);
    await planAndApprove(handle);
    await handle.executeUpdate(startUpdate);
    expect((await runToCompletion(c, handle)).status).toBe('completed');

    // Every message of every window, however many batches it took, has one ledger row and went out once.
    const { planned, sends, outbox } = await campaignLedger(t.db, campaignId);
    expect(planned.length).toBeGreaterThanOrEqual(250);
    expect(sends.map((s) => s.id).sort()).toEqual([...planned].sort());
    expect(new Set(outbox.map((o) => o.send_id)).size).toBe(outbox.length);

    const history = await handle.fetchHistory();
    const events = history.events ?? [];
    const timers = events.filter((e) => e.eventType === EventType.EVENT_TYPE_TIMER_STARTED).length;
    const batches = sendBatches(history);
    const windows = new Set(batches.map((b) => b.input.opensAt)).size;
    const messages = (b: (typeof batches)[number]) => Object.values(b.result!.counts).reduce((n, k) => n + k, 0);
    expect(batches.every((b) => messages(b) <= BATCH)).toBe(true);
    expect(batches.length).toBeGreaterThan(windows);
    expect(batches.length).toBeLessThanOrEqual(windows + Math.ceil(planned.length / BATCH));

    // A batch that follows another in the same window adds exactly its 6 events.
    const steps = batches.slice(1).flatMap((b, i) => {
      const before = batches[i]!;
      return before.input.opensAt === b.input.opensAt ? [b.scheduledEventId - before.scheduledEventId] : [];
    });
    expect(steps.length).toBeGreaterThan(50);
    expect(new Set(steps)).toEqual(new Set([6]));

    // Every window had its timer; each day's delivery wait had 6 (it waited the longest) and one is
    // the engagement window. The rest does not grow with the audience: the lifecycle, a retry check
    // and a delivery wait a day (about 750 events).
    const days = new Set(batches.map((b) => b.input.day)).size;
    expect(timers).toBe(windows + 6 * days + 1);
    const fixed = events.length - 6 * batches.length - 5 * windows;
    expect(fixed).toBeGreaterThan(0);
    expect(fixed).toBeLessThan(900);
    const windows100k = 24 * 7;
    const batches100k = windows100k + 100_000 / 1_000;
    expect(fixed + 6 * batches100k + 5 * windows100k).toBeLessThan(HISTORY_WARNING / 3);
  });
});
