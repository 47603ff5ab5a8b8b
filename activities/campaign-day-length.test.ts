import { MockActivityEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCampaign } from '../api/data/campaigns.ts';
import { createTestDatabase, type TestDatabase } from '../platform/testing/database.ts';
import { insertScoreRun, insertScoredCustomer } from '../platform/testing/scored-customers.ts';
import { createCampaignPlanningActivities, type CampaignRules } from './campaign-planning.ts';
import { createDeterministicPlanner } from './planning/planner.ts';

/**
 * CAMPAIGN_DAY_LENGTH (tests and demos): with a day shorter than 24 hours, approval puts day N
 * at approval + N × day length, each window one such day long, instead of the calendar windows.
 */

const rules: CampaignRules = {
  minimumAge: { '*': 21 },
  sendHours: { start: '08:00', end: '21:00' },
  frequencyCap: { max: 3, days: 7 },
  storeTimeZone: 'America/Chicago',
};

async function seedAudience(db: TestDatabase['db']) {
  const runId = await insertScoreRun(db);
  const [segment] = await db('segments').where({ key: 'at_risk' }).select('id');
  for (let i = 0; i < 12; i++) {
    await insertScoredCustomer(db, {
      runId,
      segmentId: segment.id,
      clv: 200 + i,
      customer: { external_id: `C-${i}`, email: `c${i}@example.com`, age_verified: true },
    });
  }
}

describe('a compressed campaign day', () => {
  let t: TestDatabase;
  const planned = async (dayLengthMs?: number) => {
    const { id } = await createCampaign(t.db, {
      name: 'Demo win-back',
      type: 'win_back',
      goal: 'Bring lapsed regulars back',
      targetSegments: [],
      channels: ['email'],
      startsOn: '2026-12-01',
      windowDays: 7,
      audienceSize: 100,
      holdoutShare: 0,
      timeZone: 'America/Chicago',
      createdBy: null,
      idempotencyKey: null,
    });
    const activities = createCampaignPlanningActivities({
      db: t.db,
      planner: createDeterministicPlanner('test'),
      rules: { ...rules, campaignDayLengthMs: dayLengthMs },
    });
    await new MockActivityEnvironment().run(activities.generateCampaignPlan, id);
    const approve = () =>
      new MockActivityEnvironment().run(activities.approvePlan, id, null) as ReturnType<typeof activities.approvePlan>;
    return { id, approve };
  };
  const windowsOf = async (id: string) =>
    (await t.db('actions').where({ campaign_id: id }).select('day', 'send_at', 'send_until')) as {
      day: number;
      send_at: Date;
      send_until: Date;
    }[];

  beforeAll(async () => {
    t = await createTestDatabase();
    await seedAudience(t.db);
  });
  afterAll(async () => t?.drop());

  it('schedules day N at approval + N × the day length, each window one short day long', async () => {
    const { id, approve } = await planned(20_000);
    const before = Date.now();
    const { actions } = await approve();
    const after = Date.now();
    const windows = await windowsOf(id);
    expect(windows).toHaveLength(actions);
    expect(new Set(windows.map((w) => w.day)).size).toBeGreaterThan(1);
    for (const w of windows) {
      expect(w.send_at.getTime()).toBeGreaterThanOrEqual(before + w.day * 20_000);
      expect(w.send_at.getTime()).toBeLessThanOrEqual(after + w.day * 20_000);
      expect(w.send_until.getTime() - w.send_at.getTime()).toBe(20_000);
    }
  });

  it('keeps the calendar send windows with a day of 24 hours', async () => {
    const { id, approve } = await planned(86_400_000);
    await approve();
    const windows = await windowsOf(id);
    expect(windows.length).toBeGreaterThan(0);
    for (const w of windows) {
      // Each window opens on its scheduled December day, within the store's 08:00–21:00 send hours.
      expect(w.send_at.toISOString() >= '2026-12-01').toBe(true);
      expect(w.send_until.getTime() - w.send_at.getTime()).toBeLessThan(86_400_000);
    }
  });
});
