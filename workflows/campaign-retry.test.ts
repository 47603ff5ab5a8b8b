import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { sendId } from '../activities/campaign-sending.ts';
import {
  createProviders,
  type EmailProvider,
  type Providers,
  type SendResult,
} from '../activities/messaging/providers/index.ts';
import { campaignTimings } from '../activities/settings.ts';
import { createTestDatabase, type TestDatabase } from '../platform/testing/database.ts';
import {
  createTestCampaign,
  eventTimeMs,
  planAndApprove,
  runToCompletion,
  sendBatches,
  startCampaignTestEnv,
  startCampaignWorkflow,
  type CampaignTestEnv,
} from '../platform/testing/campaigns.ts';
import type { History } from '../platform/testing/histories.ts';
import { cancelUpdate, startUpdate } from './campaign-messages.ts';

/** How the provider treats a message: fails its first attempt, fails every attempt, or refuses it for good. */
type Failure = 'first-attempt' | 'every-attempt' | 'permanent';

let failures = new Map<string, Failure>();
/** Provider calls per ledger id, successful or not. */
let calls = new Map<string, number>();

function failing(email: EmailProvider): EmailProvider {
  const failure = (sendId: string, kind: Failure): SendResult =>
    kind === 'permanent'
      ? { sendId, ok: false, retryable: false, code: 'rejected', message: 'Recipient address rejected: policy' }
      : { sendId, ok: false, retryable: true, code: 'provider_error', message: '503 Service Unavailable' };
  return {
    name: email.name,
    async send(batch) {
      const results = new Map<string, SendResult>();
      const through = batch.filter((m) => {
        const attempt = (calls.get(m.sendId) ?? 0) + 1;
        calls.set(m.sendId, attempt);
        const kind = failures.get(m.sendId);
        if (!kind || (kind === 'first-attempt' && attempt > 1)) return true;
        results.set(m.sendId, failure(m.sendId, kind));
        return false;
      });
      for (const r of through.length ? await email.send(through) : []) results.set(r.sendId, r);
      return batch.map((m) => results.get(m.sendId)!);
    },
  };
}

const FIVE_MINUTES = 300_000;

/** The 5-minute timers the workflow started, with the instants they started and fired. */
function retryTimers(history: History): { started: number; fired?: number }[] {
  const timers = new Map<number, { started: number; fired?: number }>();
  for (const e of history.events ?? []) {
    const timeout = e.timerStartedEventAttributes?.startToFireTimeout;
    if (timeout && Number(timeout.seconds) * 1000 + (timeout.nanos ?? 0) / 1e6 === FIVE_MINUTES) {
      timers.set(Number(e.eventId), { started: eventTimeMs(e) });
    }
    const timer = e.timerFiredEventAttributes && timers.get(Number(e.timerFiredEventAttributes.startedEventId));
    if (timer) timer.fired = eventTimeMs(e);
  }
  return [...timers.values()];
}

describe('campaignWorkflow send retries (time-skipping)', () => {
  let t: TestDatabase;
  let c: CampaignTestEnv;

  beforeAll(async () => {
    t = await createTestDatabase();
    c = await startCampaignTestEnv(t.db, {
      name: 'campaign-retry',
      providers: (cfg, db) => {
        const providers: Providers = createProviders(cfg, { db });
        return { ...providers, email: failing(providers.email) };
      },
    });
  });
  afterAll(async () => {
    await c?.teardown();
    await t?.drop();
  });
  beforeEach(() => {
    failures = new Map();
    calls = new Map();
  });

  /** An approved e-mail campaign and the ledger ids of its first day's messages. */
  async function approvedCampaign(windowDays: number) {
    const campaignId = await createTestCampaign(c, { channels: ['email'], windowDays, audienceSize: 20 });
    // The configured timings, as the API passes them: retries 5 minutes apart, 3 attempts in all.
    const handle = await startCampaignWorkflow(c, campaignId, { timings: campaignTimings(c.cfg) });
    await planAndApprove(handle);
    const firstDay = await t.db('actions').where({ campaign_id: campaignId, day: 0 }).orderBy('id');
    return { campaignId, handle, ids: firstDay.map((a) => sendId(campaignId, a.customer_id, 'email', 0)) };
  }

  it('retries failed sends 5 minutes apart, never retries a permanent failure, and notifies once per day', async () => {
    expect(campaignTimings(c.cfg)).toMatchObject({ retryDelay: '5 minutes', maxAttempts: 3 });
    const { campaignId, handle, ids } = await approvedCampaign(2);
    expect(ids.length).toBeGreaterThanOrEqual(5);
    const [once1, once2, permanent, always1, always2] = ids as [string, string, string, string, string];
    failures = new Map<string, Failure>([
      [once1, 'first-attempt'],
      [once2, 'first-attempt'],
      [permanent, 'permanent'],
      [always1, 'every-attempt'],
      [always2, 'every-attempt'],
    ]);
    await handle.executeUpdate(startUpdate);
    const result = await runToCompletion(c, handle);
    expect(result.status).toBe('completed');

    const sends = new Map((await t.db('sends').where({ campaign_id: campaignId })).map((s) => [s.id as string, s]));
    const outbox = new Set((await t.db('outbox').whereIn('send_id', [...sends.keys()])).map((o) => o.send_id));
    const row = (id: string) => {
      const s = sends.get(id)!;
      return {
        status: s.status,
        attempts: s.attempts,
        retryable: s.retryable,
        calls: calls.get(id),
        outbox: outbox.has(id),
      };
    };
    expect(row(once1)).toEqual({ status: 'unconfirmed', attempts: 2, retryable: null, calls: 2, outbox: true });
    expect(row(once2)).toEqual({ status: 'unconfirmed', attempts: 2, retryable: null, calls: 2, outbox: true });
    expect(row(permanent)).toEqual({ status: 'failed', attempts: 1, retryable: false, calls: 1, outbox: false });
    expect(sends.get(permanent)!.error_code).toBe('rejected');
    for (const id of [always1, always2]) {
      expect(row(id)).toEqual({ status: 'failed', attempts: 3, retryable: false, calls: 3, outbox: false });
    }
    const others = [...sends.values()].filter((s) => !failures.has(s.id));
    expect(others.length).toBeGreaterThan(0);
    expect(others.filter((s) => s.status !== 'unconfirmed' || s.attempts !== 1 || calls.get(s.id) !== 1)).toEqual([]);
    expect(result.counts).toEqual({ sent: sends.size - 3, skipped: 0, failed: 3, retrying: 0, unknown: 0 });

    const notifications = await t.db('notifications').where({ campaign_id: campaignId });
    expect(notifications).toHaveLength(1);
    expect(notifications[0]).toMatchObject({
      kind: 'sends_failed',
      severity: 'error',
      dedupe_key: `sends_failed/${campaignId}/0`,
    });
    expect(notifications[0].details).toEqual({ day: 0, sendIds: expect.arrayContaining([always1, always2]) });
    expect(notifications[0].details.sendIds).toHaveLength(2);

    // Attempts 2 and 3 of the first day each follow a 5-minute timer; the second day needed none.
    const history = await handle.fetchHistory();
    const timers = retryTimers(history);
    expect(timers).toHaveLength(2);
    const batches = sendBatches(history).filter((b) => b.input.day === 0);
    // The planned window's batches, not the fallback pass that follows the day's delivery wait.
    const lastFirstAttempt = batches.filter((b) => b.input.attempt === 1 && !b.input.fallback).at(-1)!;
    const retries = batches.filter((b) => b.input.attempt > 1);
    expect(retries.map((b) => [b.input.attempt, b.result?.counts])).toEqual([
      [2, { sent: 2, skipped: 0, failed: 0, retrying: 2, unknown: 0 }],
      [3, { sent: 0, skipped: 0, failed: 0, retrying: 2, unknown: 0 }],
    ]);
    for (const [i, { started, fired }] of timers.entries()) {
      expect(fired! - started).toBeGreaterThanOrEqual(FIVE_MINUTES);
      expect(retries[i]!.scheduledAt).toBeGreaterThanOrEqual(fired!);
    }
    expect(timers[0]!.started).toBeGreaterThanOrEqual(lastFirstAttempt.completedAt!);
    expect(retries[0]!.scheduledAt - lastFirstAttempt.completedAt!).toBeGreaterThanOrEqual(FIVE_MINUTES);
    expect(retries[1]!.scheduledAt - retries[0]!.completedAt!).toBeGreaterThanOrEqual(FIVE_MINUTES);
  });

  it('cancelled while waiting to retry: the failed sends are closed as cancelled and nobody is notified', async () => {
    const { campaignId, handle, ids } = await approvedCampaign(1);
    failures = new Map<string, Failure>([[ids[0]!, 'every-attempt']]);
    await handle.executeUpdate(startUpdate);
    const lastWindow = await t.db('actions').where({ campaign_id: campaignId }).max({ at: 'send_at' }).first();
    await c.env.sleep(lastWindow!.at.getTime() + 60_000 - (await c.env.currentTimeMs()));
    const waiting = retryTimers(await handle.fetchHistory());
    expect(waiting).toEqual([{ started: expect.any(Number) }]);

    await handle.executeUpdate(cancelUpdate);
    expect((await runToCompletion(c, handle)).status).toBe('cancelled');
    const failed = await t.db('sends').where({ id: ids[0] }).first();
    expect(failed).toMatchObject({
      status: 'skipped',
      skip_reason: 'campaign_cancelled',
      retryable: null,
      attempts: 1,
    });
    expect(calls.get(ids[0]!)).toBe(1);
    const sends = await t.db('sends').where({ campaign_id: campaignId });
    expect(sends.filter((s) => ['pending', 'sending'].includes(s.status) || s.retryable)).toEqual([]);
    expect(await t.db('notifications').where({ campaign_id: campaignId })).toEqual([]);
  });
});
