import { randomBytes } from 'node:crypto';
import { inject } from 'vitest';
import { activityDeps } from '../../activities/settings.ts';
import { connectTemporalClient, type TemporalClient } from '../../temporal/client.ts';
import type { TaskQueues } from '../../temporal/task-queues.ts';
import { startWorkers, type WorkerOptions, type Workers } from '../../temporal/worker.ts';
import { parseConfig } from '../config.ts';
import type { Db } from '../db.ts';
import { createLogger } from '../logger.ts';

export const testLog = createLogger(process.env.TEST_LOG_LEVEL ?? 'error', 'test');

/** A task queue of the test's own, so workers of parallel test files never take each other's tasks. */
export function testTaskQueue(name: string): string {
  return `test-${name}-${randomBytes(4).toString('hex')}`;
}

export function temporalTestTarget(): { address: string; namespace: string } {
  return { address: inject('temporalAddress'), namespace: inject('temporalNamespace') };
}

export interface TestWorkers extends Workers {
  queues: TaskQueues;
  temporal: TemporalClient;
  close(): Promise<void>;
}

/**
 * Real workers for every task queue (queues of the test's own) on the shared dev server, with
 * the production activities over the test file's database, plus a client.
 */
export async function startTestWorkers(
  db: Db,
  env: NodeJS.ProcessEnv = {},
  opts: Pick<WorkerOptions, 'tracing' | 'workflowBundle'> = {},
): Promise<TestWorkers> {
  const target = temporalTestTarget();
  const cfg = parseConfig({
    STORE_TIME_ZONE: 'America/Chicago',
    UNSUBSCRIBE_SECRET: 'test-unsubscribe-secret-long-enough-0123456789',
    ...env,
  });
  const prefix = testTaskQueue('q');
  const queues = {
    workflows: `${prefix}-workflows`,
    sends: `${prefix}-sends`,
    scoring: `${prefix}-scoring`,
    planning: `${prefix}-planning`,
  };
  const workers = await startWorkers({ ...target, queues, deps: activityDeps(cfg, db, testLog), ...opts });
  const temporal = await connectTemporalClient(target.address, target.namespace);
  return {
    ...workers,
    queues,
    temporal,
    async close() {
      await workers.shutdown();
      await temporal.close();
    },
  };
}
