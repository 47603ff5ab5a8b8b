import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectTemporalClient, type TemporalClient } from '../temporal/client.ts';
import { createWorker } from '../temporal/worker.ts';
import { createTestDatabase, type TestDatabase } from '../platform/testing/database.ts';
import { temporalTestTarget, testLog, testTaskQueue } from '../platform/testing/temporal.ts';
import type { selfCheckWorkflow } from './self-check.ts';

describe('selfCheckWorkflow on the real dev server', () => {
  let t: TestDatabase;
  let temporal: TemporalClient;
  beforeAll(async () => {
    t = await createTestDatabase();
    const target = temporalTestTarget();
    temporal = await connectTemporalClient(target.address, target.namespace);
  });
  afterAll(async () => {
    await temporal.close();
    await t.drop();
  });

  it('runs through the real worker and reaches PostgreSQL from an activity', async () => {
    const target = temporalTestTarget();
    const taskQueue = testTaskQueue('self-check');
    const { worker, connection } = await createWorker({ ...target, taskQueue, deps: { db: t.db, log: testLog } });
    const workflowId = `self-check-${randomUUID()}`;
    const result = await worker.runUntil(
      temporal.client.workflow.execute<typeof selfCheckWorkflow>('selfCheckWorkflow', { taskQueue, workflowId }),
    );
    await connection.close();
    const count = Number((await t.db('knex_migrations').count({ count: '*' }))[0]!.count);
    expect(count).toBeGreaterThan(0);
    expect(result).toMatchObject({ workflowId, taskQueue, migrationsApplied: count });
    expect(result.postgres).toMatch(/^\d+\.\d+/);

    const history = await temporal.client.workflow.getHandle(workflowId).fetchHistory();
    const activities = history.events?.filter((e) => e.activityTaskCompletedEventAttributes) ?? [];
    expect(activities).toHaveLength(1);
  });
});
