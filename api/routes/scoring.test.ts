import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedDemo } from '../../bench/datagen/seed.ts';
import { startTestApi, type TestApi } from '../../platform/testing/api.ts';
import { createTestDatabase, type TestDatabase } from '../../platform/testing/database.ts';
import { startTestWorkers, type TestWorkers } from '../../platform/testing/temporal.ts';
import { ensureScoringSchedule, NIGHTLY_SCORING_SCHEDULE_ID } from '../../temporal/schedules.ts';

describe('scoring runs', () => {
  let t: TestDatabase;
  let w: TestWorkers;
  let api: TestApi;
  beforeAll(async () => {
    t = await createTestDatabase();
    w = await startTestWorkers(t.db);
    api = await startTestApi(t.db, { workflows: { client: w.temporal.client, queues: w.queues } });
    await seedDemo(t.db, { seed: 3, customerCount: 300, asOf: new Date('2026-11-01T06:00:00Z') });
  });
  afterAll(async () => {
    await api?.close();
    await w?.close();
    await t?.drop();
  });

  it('start on demand, join a run already going, and report their model fits', async () => {
    const manager = await api.tokenFor('manager');
    const [first, second] = await Promise.all([
      api.request('POST', '/api/scoring/runs', { token: manager }),
      api.request('POST', '/api/scoring/runs', { token: manager }),
    ]);
    expect(first.status).toBe(202);
    const a = await first.json();
    const b = await second.json();
    expect(b.runId).toBe(a.runId);
    await w.temporal.client.workflow.getHandle(a.workflowId, a.runId).result();

    const runs = await (await api.request('GET', '/api/scoring/runs', { token: await api.tokenFor('user') })).json();
    expect(runs.items).toHaveLength(1);
    expect(runs.items[0]).toMatchObject({
      status: 'completed',
      trigger: 'manual',
      customersScored: expect.any(Number),
    });
    expect(runs.items[0].fits.map((f: any) => f.model).sort()).toEqual(['bgnbd', 'gamma_gamma']);
    expect(runs.items[0].fits[0]).toMatchObject({ converged: true, used: true, timeUnit: 'days' });
  });

  it('keep one nightly schedule, updated rather than duplicated', async () => {
    const opts = { queues: w.queues, cron: '30 3 * * *', timeZone: 'America/Chicago' };
    await ensureScoringSchedule(w.temporal.client, opts);
    await ensureScoringSchedule(w.temporal.client, { ...opts, cron: '15 4 * * *' });
    const schedule = await w.temporal.client.schedule.getHandle(NIGHTLY_SCORING_SCHEDULE_ID).describe();
    expect(schedule.spec.timezone).toBe('America/Chicago');
    expect(schedule.spec.calendars?.[0]).toMatchObject({
      hour: [{ start: 4, end: 4, step: 1 }],
      minute: [{ start: 15, end: 15, step: 1 }],
    });
    expect(schedule.action).toMatchObject({
      type: 'startWorkflow',
      workflowType: 'scoreCustomersWorkflow',
      taskQueue: w.queues.workflows,
    });
    expect(schedule.policies.overlap).toBe('SKIP');
    await w.temporal.client.schedule.getHandle(NIGHTLY_SCORING_SCHEDULE_ID).delete();
  });
});
