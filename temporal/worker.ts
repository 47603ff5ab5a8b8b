import { fileURLToPath } from 'node:url';
import { bundleWorkflowCode, NativeConnection, Runtime, Worker, type WorkflowBundle } from '@temporalio/worker';
import { createActivities, type ActivityDeps } from '../activities/index.ts';

export const workflowsPath = fileURLToPath(new URL('../workflows/index.ts', import.meta.url));

export interface WorkerOptions {
  address: string;
  namespace: string;
  taskQueue: string;
  deps: ActivityDeps;
  /** A bundle built ahead of time (production, tests that run several workers). */
  workflowBundle?: WorkflowBundle;
  /** How long in-flight activities get to finish on shutdown. */
  shutdownGraceTime?: string;
}

let runtimeInstalled = false;

const levels = { TRACE: 'trace', DEBUG: 'debug', INFO: 'info', WARN: 'warn', ERROR: 'error' } as const;

/** Routes the SDK's own logs into ours, once per process. */
function installRuntimeLogger(deps: ActivityDeps): void {
  if (runtimeInstalled) return;
  runtimeInstalled = true;
  const log = deps.log.child({ component: 'temporal-sdk' });
  // Multi-line messages are webpack's bundle statistics: useful when debugging, noise otherwise.
  const info = (message: string, meta?: object) =>
    message.includes('\n') ? log.debug(meta ?? {}, message) : log.info(meta ?? {}, message);
  Runtime.install({
    logger: {
      log: (level, message, meta) => (level === 'INFO' ? info(message, meta) : log[levels[level]](meta ?? {}, message)),
      trace: (message, meta) => log.trace(meta ?? {}, message),
      debug: (message, meta) => log.debug(meta ?? {}, message),
      info,
      warn: (message, meta) => log.warn(meta ?? {}, message),
      error: (message, meta) => log.error(meta ?? {}, message),
    },
    // The launcher owns SIGINT/SIGTERM so that it can stop things in order.
    shutdownSignals: [],
  });
}

export async function createWorker(opts: WorkerOptions): Promise<{ worker: Worker; connection: NativeConnection }> {
  installRuntimeLogger(opts.deps);
  const connection = await NativeConnection.connect({ address: opts.address });
  const worker = await Worker.create({
    connection,
    namespace: opts.namespace,
    taskQueue: opts.taskQueue,
    activities: createActivities(opts.deps),
    ...(opts.workflowBundle ? { workflowBundle: opts.workflowBundle } : { workflowsPath }),
    shutdownGraceTime: opts.shutdownGraceTime ?? '30 seconds',
  });
  return { worker, connection };
}

export function bundleWorkflows(): Promise<WorkflowBundle> {
  return bundleWorkflowCode({ workflowsPath, logger: undefined });
}
