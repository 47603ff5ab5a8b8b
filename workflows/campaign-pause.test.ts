import { Context } from '@temporalio/activity';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { sendId } from '../activities/campaign-sending.ts';
import { createProviders, type Providers } from '../activities/messaging/providers/index.ts';
import { createTestDatabase, type TestDatabase } from '../platform/testing/database.ts';
import {
  campaignLedger,
  createTestCampaign,
  localHour,
  planAndApprove,
  runToCompletion,
  sendBatches,
  skipUntil,
  startCampaignTestEnv,
  startCampaignWorkflow,
  type CampaignHandle,
  type CampaignTestEnv,
} from '../platform/testing/campaigns.ts';
import { cancelUpdate, pauseUpdate, progressQuery, resumeUpdate, startUpdate } from './campaign-messages.ts';

/**
 * A message held at the provider: the test hears when the batch reaches it, and the call goes
 * through only once the batch has been told to stop — a slow provider call in flight at the
 * moment a marketer pauses.
 */
let held: { sendId: string; reached: PromiseWithResolvers<void> } | undefined;

function holdingProviders(providers: Providers): Providers {
  return {
    ...providers,
    email: {
      name: providers.email.name,
      async send(batch) {
        const hold = held;
        if (hold && batch.some((m) => m.sendId === hold.sendId)) {
          hold.reached.resolve();
          const signal = Context.current().cancellationSignal;
          if (!signal.aborted) await new Promise((stopped) => signal.addEventListener('abort', stopped));
        }
        return providers.email.send(batch);
      },
    },
  };
}

/** Each planned message has one ledger row, none is left half-way, and none reached the provider twice. */
async function expectEachMessageOnce(db: TestDatabase['db'], campaignId: string) {
  const { planned, sends, outbox } = await campaignLedger(db, campaignId);
  expect(sends.map((s) => s.id).sort()).toEqual([...planned].sort());
  expect(sends.filter((s) => ['pending', 'sending'].includes(s.status))).toEqual([]);
  expect(new Set(outbox.map((o) => o.send_id)).size).toBe(outbox.length);
  expect(outbox.map((o) => o.send_id).sort()).toEqual(
    sends
      .filter((s) => s.provider_message_id !== null)
      .map((s) => s.id)
      .sort(),
  );
  return { planned, sends, outbox };
}

describe('campaignWorkflow pause, resume and cancel (time-skipping)', () => {
  let t: TestDatabase;
  let c: CampaignTestEnv;

  beforeAll(async () => {
    t = await createTestDatabase();
    c = await startCampaignTestEnv(t.db, {
      name: 'campaign-pause',
      customerCount: 400,
      providers: (cfg, db) => holdingProviders(createProviders(cfg, { db })),
    });
  });
  afterAll(async () => {
    await c?.teardown();
    await t?.drop();
  });
  beforeEach(() => {
    held = undefined;
  });

  async function approvedCampaign(overrides: Parameters<typeof createTestCampaign>[1] = {}) {
    const campaignId = await createTestCampaign(c, overrides);
    const handle = await startCampaignWorkflow(c, campaignId);
    await planAndApprove(handle);
    const days = (await t.db('actions').where({ campaign_id: campaignId }).distinct('day').orderBy('day')).map(
      (r) => r.day as number,
    );
    return { campaignId, handle, days };
  }

  /** Ledger rows of the days from `day` on, and the outbox rows among them. */
  async function sentFrom(campaignId: string, day: number) {
    const rows = await t.db('sends').where({ campaign_id: campaignId }).andWhere('day', '>=', day);
    const outbox = await t.db('outbox').whereIn(
      'send_id',
      rows.map((r) => r.id),
    );
    return { rows: rows.length, outbox: outbox.length };
  }

  it('sends nothing while paused across day boundaries, then sends the rest exactly once', async () => {
    const { campaignId, handle, days } = await approvedCampaign();
    expect(days.length).toBeGreaterThanOrEqual(3);
    const [first, second, third] = days as [number, number, number];
    await handle.executeUpdate(startUpdate);

    // The first day is sent and its retries are over: the workflow waits for the second day's window.
    const waiting = await skipUntil(c, handle, (p) => p.day === second);
    expect(await sentFrom(campaignId, second)).toEqual({ rows: 0, outbox: 0 });
    const firstDay = await t.db('sends').where({ campaign_id: campaignId, day: first });
    expect(firstDay.length).toBeGreaterThan(0);
    const pausedAt = await c.env.currentTimeMs();
    expect(Date.parse(waiting.nextSendAt!)).toBeGreaterThan(pausedAt);

    const paused = await handle.executeUpdate(pauseUpdate);
    expect(paused.status).toBe('paused');
    expect((await t.db('campaigns').where({ id: campaignId }).first()).status).toBe('paused');

    // Past the windows of the second and third days, and on to midday, still paused.
    const lastWindowOfThird = await t
      .db('actions')
      .where({ campaign_id: campaignId, day: third })
      .max({ at: 'send_at' })
      .first();
    await c.env.sleep(lastWindowOfThird!.at.getTime() - pausedAt);
    while (localHour(await c.env.currentTimeMs()) !== 12) await c.env.sleep('1 hour');
    expect(await sentFrom(campaignId, second)).toEqual({ rows: 0, outbox: 0 });
    expect(await t.db('sends').where({ campaign_id: campaignId })).toHaveLength(firstDay.length);
    const still = await handle.query(progressQuery);
    expect(still).toMatchObject({ status: 'paused', counts: paused.counts });

    const resumed = await handle.executeUpdate(resumeUpdate);
    expect(resumed.status).toBe('active');
    const result = await runToCompletion(c, handle);
    expect(result.status).toBe('completed');

    const { planned, sends } = await expectEachMessageOnce(t.db, campaignId);
    // The days that passed while paused went out on resume, in sending hours.
    for (const day of [second, third]) {
      const rows = sends.filter((s) => s.day === day);
      expect(rows.length).toBeGreaterThan(0);
      expect(rows.filter((s) => s.status !== 'unconfirmed')).toEqual([]);
    }
    const { sent, skipped, failed, unknown, retrying } = result.counts;
    expect(retrying).toBe(0);
    expect(sent + skipped + failed + unknown).toBe(planned.length);
  });

  it('stops a batch after the message in flight when paused, and sends the rest once on resume', async () => {
    const { campaignId, handle } = await approvedCampaign({ channels: ['email'], windowDays: 1, audienceSize: 100 });
    // The busiest window, in the order its batch sends (the activity's own order, in SQL).
    const { rows: windows } = await t.db.raw(
      `select send_at, array_agg(a.customer_id order by a.id::text || '/email') as customers
       from actions a where a.campaign_id = ? group by send_at order by count(*) desc, send_at limit 1`,
      [campaignId],
    );
    const window = windows[0] as { send_at: Date; customers: string[] };
    expect(window.customers.length).toBeGreaterThanOrEqual(4);
    const ids = window.customers.map((customer) => sendId(campaignId, customer, 'email', 0));
    held = { sendId: ids[2]!, reached: Promise.withResolvers() };

    // Start once the window is open, so that the batch runs with the clock held still.
    await c.env.sleep(window.send_at.getTime() + 60_000 - (await c.env.currentTimeMs()));
    await handle.executeUpdate(startUpdate);
    await held.reached.promise;
    const paused = await handle.executeUpdate(pauseUpdate);
    expect(paused.status).toBe('paused');
    // The batch hears of the pause with the reply to its next heartbeat; the SDK sends heartbeats at
    // most every 8 s (80% of the 10-second heartbeat timeout), so sending stops within seconds.

    const batch = await batchOf(handle, window.send_at.getTime());
    expect(batch.result).toEqual({
      counts: { sent: 3, skipped: 0, failed: 0, retrying: 0, unknown: 0 },
      nextCursor: expect.any(String),
    });
    const inWindow = async () => {
      const rows = await t.db('sends').whereIn('id', ids);
      const outbox = await t.db('outbox').whereIn('send_id', ids);
      const sent = rows.filter((r) => r.status === 'sent').map((r) => r.id as string);
      return { sent: sent.sort(), rows: rows.length, outbox: outbox.length };
    };
    expect(await inWindow()).toEqual({ sent: ids.slice(0, 3).sort(), rows: 3, outbox: 3 });

    // The rest of the day passes while paused.
    await c.env.sleep('1 day');
    expect(await inWindow()).toMatchObject({ rows: 3, outbox: 3 });

    held = undefined;
    await handle.executeUpdate(resumeUpdate);
    expect((await runToCompletion(c, handle)).status).toBe('completed');
    await expectEachMessageOnce(t.db, campaignId);
    const after = await t.db('sends').whereIn('id', ids);
    expect(after.map((r) => r.status)).toEqual(ids.map(() => 'unconfirmed'));
    expect(after.every((r) => r.attempts === 1)).toBe(true);
  });

  it('cancels mid-way: the ledger is closed and the actions not yet sent are cancelled', async () => {
    const { campaignId, handle, days } = await approvedCampaign();
    const [first, second] = days as [number, number];
    await handle.executeUpdate(startUpdate);
    await skipUntil(c, handle, (p) => p.day === second);
    const sentActions = (await t.db('sends').where({ campaign_id: campaignId }).distinct('action_id')).map(
      (r) => r.action_id,
    );
    expect(sentActions.length).toBeGreaterThan(0);

    await handle.executeUpdate(cancelUpdate);
    const result = await runToCompletion(c, handle);
    expect(result.status).toBe('cancelled');
    expect((await t.db('campaigns').where({ id: campaignId }).first()).status).toBe('cancelled');

    const sends = await t.db('sends').where({ campaign_id: campaignId });
    expect(sends.filter((s) => ['pending', 'sending'].includes(s.status))).toEqual([]);
    expect(sends.filter((s) => s.status === 'failed' && s.retryable)).toEqual([]);
    expect(new Set(sends.map((s) => s.day))).toEqual(new Set([first]));

    const actions = await t.db('actions').where({ campaign_id: campaignId });
    const byStatus = (status: string) =>
      actions
        .filter((a) => a.status === status)
        .map((a) => a.id)
        .sort();
    expect(byStatus('cancelled')).toEqual(
      actions
        .filter((a) => !sentActions.includes(a.id))
        .map((a) => a.id)
        .sort(),
    );
    // Actions whose messages went out keep their status: the ledger says what happened to them.
    expect(byStatus('approved')).toEqual([...sentActions].sort());
  });

  it('cancels an approved campaign before it starts: its actions are cancelled and nothing is sent', async () => {
    const { campaignId, handle } = await approvedCampaign();
    await handle.executeUpdate(cancelUpdate);
    expect((await runToCompletion(c, handle)).status).toBe('cancelled');
    expect(await t.db('sends').where({ campaign_id: campaignId })).toEqual([]);
    const statuses = await t.db('actions').where({ campaign_id: campaignId }).distinct('status');
    expect(statuses.map((s) => s.status)).toEqual(['cancelled']);
  });
});

/** Waits (in real time, the clock held) for the batch of a window to end, and returns it. */
async function batchOf(handle: CampaignHandle, opensAt: number) {
  for (let i = 0; i < 300; i++) {
    const batch = sendBatches(await handle.fetchHistory()).find(
      (b) => b.input.opensAt === opensAt && b.input.attempt === 1 && b.result,
    );
    if (batch) return batch;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('the batch did not end');
}
