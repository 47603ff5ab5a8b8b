import { fileURLToPath } from 'node:url';
import { bundleWorkflowCode, NativeConnection, Runtime, Worker, type WorkflowBundle } from '@temporalio/worker';
import { createActivities, type ActivityDeps } from '../activities/index.ts';
import { taskQueueKinds, type TaskQueueKind, type TaskQueues } from './task-queues.ts';

export const workflowsPath = fileURLToPath(new URL('../workflows/index.ts', import.meta.url));

export interface WorkerOptions {
  address: string;
  namespace: string;
  queues: TaskQueues;
  deps: ActivityDeps;
  /** Which task queues this process polls; all of them by default. */
  kinds?: readonly TaskQueueKind[];
  /** A bundle built ahead of time (production, tests that run several workers). */
  workflowBundle?: WorkflowBundle;
  /** How long in-flight activities get to finish on shutdown. */
  shutdownGraceTime?: string;
  /** An existing connection (e.g. a test environment's); then `address` is not dialled. */
  connection?: NativeConnection;
}

export interface Workers {
  workers: Worker[];
  /** Resolves when every worker has stopped; rejects if one fails. */
  run(): Promise<void>;
  /** Stops polling, lets in-flight activities finish, then closes the connection. */
  shutdown(): Promise<void>;
}

// Per queue: scoring is CPU-bound (one at a time per process, the database does the rest),
// sends are I/O-bound, planning waits on an LLM.
const activitySlots: Record<TaskQueueKind, number> = { workflows: 20, sends: 20, scoring: 1, planning: 4 };

let runtimeInstalled = false;

const levels = { TRACE: 'trace', DEBUG: 'debug', INFO: 'info', WARN: 'warn', ERROR: 'error' } as const;

/** Routes the SDK's own logs into ours, once per process. */
export function installRuntimeLogger(log: ActivityDeps['log']): void {
  if (runtimeInstalled) return;
  runtimeInstalled = true;
  const sdk = log.child({ component: 'temporal-sdk' });
  // Multi-line messages are webpack's bundle statistics: useful when debugging, noise otherwise.
  const info = (message: string, meta?: object) =>
    message.includes('\n') ? sdk.debug(meta ?? {}, message) : sdk.info(meta ?? {}, message);
  try {
    installRuntime();
  } catch (err) {
    // A test environment created the runtime first; it keeps the SDK's own logger.
    if ((err as Error).name !== 'IllegalStateError') throw err;
  }
  function installRuntime() {
    Runtime.install({
      logger: {
        log: (level, message, meta) =>
          level === 'INFO' ? info(message, meta) : sdk[levels[level]](meta ?? {}, message),
        trace: (message, meta) => sdk.trace(meta ?? {}, message),
        debug: (message, meta) => sdk.debug(meta ?? {}, message),
        info,
        warn: (message, meta) => sdk.warn(meta ?? {}, message),
        error: (message, meta) => sdk.error(meta ?? {}, message),
      },
      // The launcher owns SIGINT/SIGTERM so that it can stop things in order.
      shutdownSignals: [],
    });
  }
}

export async function startWorkers(opts: WorkerOptions): Promise<Workers> {
  installRuntimeLogger(opts.deps.log);
  const owned = !opts.connection;
  const connection = opts.connection ?? (await NativeConnection.connect({ address: opts.address }));
  const activities = createActivities(opts.deps);
  const workers: Worker[] = [];
  try {
    for (const kind of opts.kinds ?? taskQueueKinds) {
      workers.push(
        await Worker.create({
          connection,
          namespace: opts.namespace,
          taskQueue: opts.queues[kind],
          activities,
          maxConcurrentActivityTaskExecutions: activitySlots[kind],
          ...(kind === 'workflows'
            ? opts.workflowBundle
              ? { workflowBundle: opts.workflowBundle }
              : { workflowsPath }
            : {}),
          shutdownGraceTime: opts.shutdownGraceTime ?? '30 seconds',
        }),
      );
    }
  } catch (err) {
    if (owned) await connection.close();
    throw err;
  }
  const running = Promise.all(workers.map((w) => w.run())).then(() => undefined);
  return {
    workers,
    run: () => running,
    async shutdown() {
      for (const w of workers) if (w.getState() === 'RUNNING') w.shutdown();
      await running;
      if (owned) await connection.close();
    },
  };
}

export function bundleWorkflows(): Promise<WorkflowBundle> {
  return bundleWorkflowCode({ workflowsPath });
}
