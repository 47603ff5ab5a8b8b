/*
 * A worker in a process of its own: the crash test SIGKILLs and restarts it, the send benchmark
 * reads its peak RSS. Polls the sends queue (WORKER_KINDS: a comma-separated list of task queue kinds).
 */
import { activityDeps } from '../../activities/settings.ts';
import { taskQueues, type TaskQueueKind } from '../../temporal/task-queues.ts';
import { startWorkers } from '../../temporal/worker.ts';
import { readWorkflowBundle } from '../../temporal/workflow-bundle.ts';
import { parseConfig } from '../config.ts';
import { createDb } from '../db.ts';
import { createLogger } from '../logger.ts';

const cfg = parseConfig(process.env);
const log = createLogger(cfg.LOG_LEVEL, 'sends-worker');
const db = createDb(cfg.DATABASE_URL!, 5);
const deps = activityDeps(cfg, db, log);
if (process.env.SEND_BATCH_SIZE) deps.messaging.batchSize = Number(process.env.SEND_BATCH_SIZE);
const workers = await startWorkers({
  address: cfg.TEMPORAL_ADDRESS!,
  namespace: cfg.TEMPORAL_NAMESPACE,
  queues: taskQueues(cfg.TEMPORAL_TASK_QUEUE_PREFIX),
  deps,
  kinds: (process.env.WORKER_KINDS ?? 'sends').split(',') as TaskQueueKind[],
  shutdownGraceTime: '1 second',
  // As production workers do (WORKFLOW_BUNDLE): no webpack in this process.
  ...(cfg.WORKFLOW_BUNDLE ? { workflowBundle: readWorkflowBundle(cfg.WORKFLOW_BUNDLE) } : {}),
});
process.stdout.write('ready\n');
process.on('SIGTERM', () => {
  void workers
    .shutdown()
    .then(() => db.destroy())
    .then(
      () => process.exit(0),
      (err: unknown) => {
        log.error({ err }, 'the worker did not stop cleanly');
        process.exit(1);
      },
    );
});
await workers.run();
