import { activityDeps } from '../activities/settings.ts';
import { parseConfig } from '../platform/config.ts';
import { createDb } from '../platform/db.ts';
import { createLogger } from '../platform/logger.ts';
import { connectTemporalClient } from '../temporal/client.ts';
import { journeyDispatcherWorkflowId } from '../temporal/journey-starts.ts';
import type { TaskQueues } from '../temporal/task-queues.ts';
import { startWorkers } from '../temporal/worker.ts';

/**
 * The worker of `bench/journeys.bench.ts`, in a process of its own: the production journey
 * dispatcher (workflow and activity) on a task queue of its own, delivering to journeys on
 * `journeyQueues`, which nobody polls during the loads (the journeys' own work would share the
 * CPU with what is measured; workflows/journeys.test.ts and the day-0 figures cover it).
 */

export interface JourneysDispatcherInput {
  databaseUrl: string;
  temporalAddress: string;
  namespace: string;
  /** Where the dispatcher runs. */
  dispatcherQueues: TaskQueues;
  /** Where the journeys it starts run. */
  journeyQueues: TaskQueues;
  env: NodeJS.ProcessEnv;
}

process.once('message', async (input: JourneysDispatcherInput) => {
  const cfg = parseConfig(input.env);
  const db = createDb(input.databaseUrl, cfg.DATABASE_POOL_MAX);
  const log = createLogger(cfg.LOG_LEVEL, 'worker');
  const workers = await startWorkers({
    address: input.temporalAddress,
    namespace: input.namespace,
    queues: input.dispatcherQueues,
    kinds: ['workflows'],
    deps: activityDeps(cfg, db, log),
  });
  const temporal = await connectTemporalClient(input.temporalAddress, input.namespace);
  await temporal.client.workflow.start('journeyDispatchWorkflow', {
    workflowId: journeyDispatcherWorkflowId(input.dispatcherQueues),
    taskQueue: input.dispatcherQueues.workflows,
    args: [{ workflowsTaskQueue: input.journeyQueues.workflows, sendsTaskQueue: input.journeyQueues.sends }],
    workflowIdConflictPolicy: 'USE_EXISTING',
  });
  process.on('message', async () => {
    await workers.shutdown();
    await temporal.close();
    await db.destroy();
    process.exit(0);
  });
  process.send!({ ready: true });
});
