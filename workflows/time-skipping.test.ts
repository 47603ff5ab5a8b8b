import { fileURLToPath } from 'node:url';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testServerExecutable } from '../temporal/test-server.ts';
import { testTaskQueue } from '../platform/testing/temporal.ts';
import type { weekLongWorkflow } from '../platform/testing/workflows/week-long.ts';

const DAY = 24 * 3600 * 1000;

describe('time-skipping test server (Java, from Maven Central)', () => {
  let env: TestWorkflowEnvironment;
  beforeAll(async () => {
    env = await TestWorkflowEnvironment.createTimeSkipping({
      server: { executable: { type: 'existing-path', path: testServerExecutable() } },
    });
  });
  afterAll(async () => env?.teardown());

  // Without time skipping this test could only end by its 60-second timeout.
  it('runs a workflow that sleeps 7 days in seconds', async () => {
    const taskQueue = testTaskQueue('week');
    const days: number[] = [];
    const worker = await Worker.create({
      connection: env.nativeConnection,
      taskQueue,
      workflowsPath: fileURLToPath(new URL('../platform/testing/workflows/week-long.ts', import.meta.url)),
      activities: { recordDay: async (day: number) => void days.push(day) },
    });
    const result = await worker.runUntil(
      env.client.workflow.execute<typeof weekLongWorkflow>('weekLongWorkflow', {
        args: [7],
        taskQueue,
        workflowId: `week-${taskQueue}`,
      }),
    );
    expect(days).toEqual([1, 2, 3, 4, 5, 6, 7]);
    expect(result.finishedAt - result.startedAt).toBeGreaterThanOrEqual(7 * DAY);
  });
});
