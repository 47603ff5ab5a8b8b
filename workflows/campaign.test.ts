import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../platform/testing/database.ts';
import {
  createTestCampaign,
  runToCompletion,
  startCampaignTestEnv,
  startCampaignWorkflow,
  waitForStatus,
  type CampaignTestEnv,
} from '../platform/testing/campaigns.ts';
import { approveUpdate, editActionsUpdate, generateUpdate, startUpdate } from './campaign-messages.ts';

describe('campaignWorkflow (time-skipping)', () => {
  let t: TestDatabase;
  let c: CampaignTestEnv;

  beforeAll(async () => {
    t = await createTestDatabase();
    c = await startCampaignTestEnv(t.db, { name: 'campaign' });
  });
  afterAll(async () => {
    await c?.teardown();
    await t?.drop();
  });

  it('plans, takes edits, approves, sends 7 days exactly once each, and records results', async () => {
    const campaignId = await createTestCampaign(c);
    const handle = await startCampaignWorkflow(c, campaignId);

    await handle.executeUpdate(generateUpdate);
    await waitForStatus(handle, 'awaiting_approval');
    const actions = await t.db('actions').where({ campaign_id: campaignId });
    expect(actions.length).toBeGreaterThan(0);
    const campaign = await t.db('campaigns').where({ id: campaignId }).first();
    expect(campaign.plan_record).toMatchObject({ planner: 'deterministic' });

    // An invalid edit is refused with its reason, and changes nothing.
    await expect(
      handle.executeUpdate(editActionsUpdate, { args: [[{ op: 'change', actionId: actions[0].id, day: 12 }]] }),
    ).rejects.toThrow();
    expect((await t.db('actions').where({ id: actions[0].id }).first()).day).toBe(actions[0].day);
    await handle.executeUpdate(editActionsUpdate, { args: [[{ op: 'remove', actionId: actions[0].id }]] });
    const planned = await t.db('actions').where({ campaign_id: campaignId });
    expect(planned).toHaveLength(actions.length - 1);

    // A command the lifecycle does not allow is refused by the update's validator, with the reason.
    await expect(handle.executeUpdate(startUpdate)).rejects.toMatchObject({
      cause: { message: expect.stringMatching(/cannot start/) },
    });
    await handle.executeUpdate(approveUpdate, { args: [{ approvedBy: null }] });
    await handle.executeUpdate(startUpdate);
    const result = await runToCompletion(c, handle);
    expect(result.status).toBe('completed');

    const ledger = await t.db('sends').where({ campaign_id: campaignId });
    const expected = planned.reduce((n, a) => n + a.channels.length, 0);
    expect(ledger).toHaveLength(expected);
    expect(ledger.filter((s) => s.status === 'pending' || s.status === 'sending')).toEqual([]);
    const outbox = await t.db('outbox').whereIn(
      'send_id',
      ledger.map((s) => s.id),
    );
    const sentRows = ledger.filter((s) => s.provider_message_id !== null);
    // Exactly one provider call per message that counts as sent: the sandbox's outbox is its log.
    expect(outbox).toHaveLength(sentRows.length);
    expect(new Set(outbox.map((o) => o.send_id)).size).toBe(outbox.length);
    expect(sentRows.length).toBeGreaterThan(0);
    expect(ledger.filter((s) => s.status === 'skipped').every((s) => s.skip_reason)).toBe(true);

    const finished = await t.db('campaigns').where({ id: campaignId }).first();
    expect(finished.status).toBe('completed');
    expect(finished.results).toMatchObject({ sent: expect.any(Number), skipped: expect.any(Number) });
    expect(finished.results.sent + finished.results.skipped + finished.results.failed + finished.results.unknown).toBe(
      expected,
    );
  }, 120_000);
});
