import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../platform/testing/database.ts';
import { startTestWorkers, type TestWorkers } from '../platform/testing/temporal.ts';
import { ensureAnalyticsSchedule } from '../temporal/schedules.ts';
import type { maintainAnalyticsWorkflow } from './analytics-maintenance.ts';

describe('maintainAnalyticsWorkflow on the real dev server', () => {
  let t: TestDatabase;
  let w: TestWorkers;
  beforeAll(async () => {
    t = await createTestDatabase();
    w = await startTestWorkers(t.db);
  });
  afterAll(async () => {
    await w?.close();
    await t?.drop();
  });

  it('creates this month and the next three months ahead, and runs again without changing anything', async () => {
    const run = () =>
      w.temporal.client.workflow.execute<typeof maintainAnalyticsWorkflow>('maintainAnalyticsWorkflow', {
        taskQueue: w.queues.workflows,
        workflowId: `analytics-maintenance-${w.queues.workflows}`,
      });
    const first = await run();
    expect(first.partitionsEnsured).toHaveLength(4);
    const month = (offset: number) => {
      const now = new Date();
      const d = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + offset, 1));
      return `analytics_events_p${d.toISOString().slice(0, 7).replace('-', '')}`;
    };
    expect(first.partitionsEnsured).toEqual([month(0), month(1), month(2), month(3)]);
    expect(first.partitionsDropped).toEqual([]);
    expect(await run()).toEqual(first);
  });

  it('is started daily by a Temporal Schedule, created once and updated in place', async () => {
    const opts = { queues: w.queues, cron: '15 2 * * *', timeZone: 'America/Chicago' };
    await ensureAnalyticsSchedule(w.temporal.client, opts);
    await ensureAnalyticsSchedule(w.temporal.client, { ...opts, cron: '45 1 * * *' });
    const handle = w.temporal.client.schedule.getHandle(`analytics-maintenance/${w.queues.workflows}`);
    const description = await handle.describe();
    expect(description.action).toMatchObject({ workflowType: 'maintainAnalyticsWorkflow' });
    expect(description.spec.calendars?.[0]).toMatchObject({ hour: [{ start: 1, end: 1, step: 1 }] });
    await handle.delete();
  });
});
