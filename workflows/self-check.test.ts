import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../platform/testing/database.ts';
import { startTestWorkers, type TestWorkers } from '../platform/testing/temporal.ts';
import type { selfCheckWorkflow } from './self-check.ts';

describe('selfCheckWorkflow on the real dev server', () => {
  let t: TestDatabase;
  let w: TestWorkers;
  beforeAll(async () => {
    t = await createTestDatabase();
    w = await startTestWorkers(t.db);
  });
  afterAll(async () => {
    await w.close();
    await t.drop();
  });

  it('runs through the real worker and reaches PostgreSQL from an activity', async () => {
    const workflowId = `self-check-${randomUUID()}`;
    const result = await w.temporal.client.workflow.execute<typeof selfCheckWorkflow>('selfCheckWorkflow', {
      taskQueue: w.queues.workflows,
      workflowId,
    });
    const count = Number((await t.db('knex_migrations').count({ count: '*' }))[0]!.count);
    expect(count).toBeGreaterThan(0);
    expect(result).toMatchObject({ workflowId, taskQueue: w.queues.workflows, migrationsApplied: count });
    expect(result.postgres).toMatch(/^\d+\.\d+/);

    const history = await w.temporal.client.workflow.getHandle(workflowId).fetchHistory();
    const activities = history.events?.filter((e) => e.activityTaskCompletedEventAttributes) ?? [];
    expect(activities).toHaveLength(1);
  });
});
