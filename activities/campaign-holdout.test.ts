import { MockActivityEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCampaign } from '../api/data/campaigns.ts';
import { createTestDatabase, type TestDatabase } from '../platform/testing/database.ts';
import { insertScoreRun, insertScoredCustomer } from '../platform/testing/scored-customers.ts';
import { createCampaignPlanningActivities, type CampaignRules } from './campaign-planning.ts';
import { createDeterministicPlanner } from './planning/planner.ts';

/**
 * Holdout groups at planning: a share of the ranked audience, drawn per segment from the
 * campaign id, is stored as the holdout and gets no action, so nobody in it is ever contacted.
 */

const rules: CampaignRules = {
  minimumAge: { '*': 21 },
  sendHours: { start: '08:00', end: '21:00' },
  frequencyCap: { max: 3, days: 7 },
  storeTimeZone: 'America/Chicago',
};

/** 30 at-risk and 20 champion customers, scored, with e-mail consent. */
async function seedAudience(db: TestDatabase['db']) {
  const runId = await insertScoreRun(db);
  const segments = await db('segments').whereIn('key', ['at_risk', 'champions']).select('id', 'key');
  for (let i = 0; i < 50; i++) {
    const segment = segments.find((s) => s.key === (i < 30 ? 'at_risk' : 'champions'))!;
    await insertScoredCustomer(db, {
      runId,
      segmentId: segment.id,
      clv: 200 + i,
      customer: { external_id: `C-${i}`, email: `c${i}@example.com`, age_verified: true },
    });
  }
}

describe('holdout groups at planning', () => {
  let t: TestDatabase;
  const generate = (id: string) => {
    const { generateCampaignPlan } = createCampaignPlanningActivities({
      db: t.db,
      planner: createDeterministicPlanner('test'),
      rules,
    });
    return new MockActivityEnvironment().run(generateCampaignPlan, id);
  };
  const campaign = async (holdoutShare?: number) =>
    (
      await createCampaign(t.db, {
        name: 'Autumn win-back',
        type: 'win_back',
        goal: 'Bring lapsed regulars back',
        targetSegments: [],
        channels: ['email'],
        startsOn: '2026-12-01',
        windowDays: 7,
        audienceSize: 100,
        holdoutShare,
        timeZone: 'America/Chicago',
        createdBy: null,
        idempotencyKey: null,
      })
    ).id;
  const holdoutOf = async (id: string) =>
    t.db('campaign_holdouts').where({ campaign_id: id }).orderBy('customer_id').select('customer_id', 'segment_key');

  beforeAll(async () => {
    t = await createTestDatabase();
    await seedAudience(t.db);
  });
  afterAll(async () => t?.drop());

  it('holds out 10 % of each segment by default and plans nobody in it', async () => {
    const id = await campaign();
    await generate(id);
    const holdout = await holdoutOf(id);
    expect(holdout.filter((h) => h.segment_key === 'at_risk')).toHaveLength(3);
    expect(holdout.filter((h) => h.segment_key === 'champions')).toHaveLength(2);
    const planned = await t.db('actions').where({ campaign_id: id }).distinct('customer_id').pluck('customer_id');
    expect(planned).toHaveLength(45);
    expect(planned.filter((c) => holdout.some((h) => h.customer_id === c))).toEqual([]);
    expect(await t.db('campaigns').where({ id }).first('audience_planned')).toEqual({ audience_planned: 45 });
  });

  it('draws the same holdout when the plan is generated again, and a share set per campaign', async () => {
    const id = await campaign(0.2);
    await generate(id);
    const first = await holdoutOf(id);
    await generate(id);
    expect(await holdoutOf(id)).toEqual(first);
    expect(first).toHaveLength(10);
    const none = await campaign(0);
    await generate(none);
    expect(await holdoutOf(none)).toEqual([]);
  });
});
