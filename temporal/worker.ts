import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import {
  makeWorkflowExporter,
  OpenTelemetryActivityInboundInterceptor,
  OpenTelemetryActivityOutboundInterceptor,
} from '@temporalio/interceptors-opentelemetry';
import { msToNumber } from '@temporalio/common/lib/time.js';
import { bundleWorkflowCode, NativeConnection, Runtime, Worker, type WorkflowBundle } from '@temporalio/worker';
import type { Tracing } from '../platform/tracing.ts';
import { createActivities, type ActivityDeps } from '../activities/index.ts';
import type { TemporalConnectionOptions } from './connection-options.ts';
import { taskQueueKinds, type TaskQueueKind, type TaskQueues } from './task-queues.ts';

export const workflowsPath = fileURLToPath(new URL('../workflows/index.ts', import.meta.url));
/** Workflow-side tracing: spans for workflow runs and the activities they schedule, made in the sandbox. */
const tracingInterceptorsPath = createRequire(import.meta.url).resolve(
  '@temporalio/interceptors-opentelemetry/lib/workflow-interceptors',
);

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
  /** mTLS or a Temporal Cloud API key for the connection this dials (temporal/connection-options.ts). */
  connectionOptions?: TemporalConnectionOptions;
  /** The process's tracing, when on: activity spans here, workflow spans through the `exporter` sink. */
  tracing?: Pick<Tracing, 'spanProcessor' | 'resource'>;
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

/**
 * Node flags for a worker process. A worker's garbage is short-lived (rendered messages, provider
 * requests, activity payloads); V8's default young generation on a large machine (2 × 32 MiB
 * semi-spaces) lets it grow ~100 MiB before collecting. 4 MiB semi-spaces keep a 100k-recipient
 * campaign's worker well under 400 MiB at the same send rate (BENCHMARKS.md, `campaign-send`).
 * V8 reads them only at start-up, so they go on the command line or in NODE_OPTIONS.
 */
export const workerNodeOptions = ['--max-semi-space-size=4'] as const;

let runtimeInstalled = false;

const levels = { TRACE: 'trace', DEBUG: 'debug', INFO: 'info', WARN: 'warn', ERROR: 'error' } as const;

/**
 * Routes the SDK's own logs into ours and, given an address, serves the SDK's own metrics
 * (`temporal_…`: task slots, poll and schedule-to-start latencies, sticky cache) for Prometheus
 * at `http://<address>/metrics`. Once per process, before any worker or native connection exists.
 */
export function installRuntimeLogger(log: ActivityDeps['log'], opts: { metricsAddress?: string } = {}): void {
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
      ...(opts.metricsAddress
        ? {
            telemetryOptions: {
              metrics: { prometheus: { bindAddress: opts.metricsAddress, useSecondsForDurations: true } },
            },
          }
        : {}),
    });
  }
}

export async function startWorkers(opts: WorkerOptions): Promise<Workers> {
  installRuntimeLogger(opts.deps.log);
  const owned = !opts.connection;
  const connection =
    opts.connection ?? (await NativeConnection.connect({ address: opts.address, ...opts.connectionOptions }));
  const stopping = new AbortController();
  const activities = createActivities({ ...opts.deps, stopping: stopping.signal });
  const { tracing } = opts;
  const shutdownGraceTime = opts.shutdownGraceTime ?? '30 seconds';
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
          shutdownGraceTime,
          // An activity that never settles (seen once after a batch's heartbeat timed out) must
          // not keep the process from exiting: past this, run() throws and the process exits.
          shutdownForceTime: msToNumber(shutdownGraceTime) + 15_000,
          interceptors: tracing
            ? {
                // A prebuilt bundle carries them already, or not (see bundleWorkflows).
                ...(kind === 'workflows' && !opts.workflowBundle ? { workflowModules: [tracingInterceptorsPath] } : {}),
                activity: [
                  (ctx) => ({
                    inbound: new OpenTelemetryActivityInboundInterceptor(ctx),
                    outbound: new OpenTelemetryActivityOutboundInterceptor(ctx),
                  }),
                ],
              }
            : {},
          // Always there: a bundle built with tracing calls it even when this process traces nothing.
          sinks: {
            exporter: tracing
              ? makeWorkflowExporter(tracing.spanProcessor, tracing.resource)
              : { export: { fn: () => undefined, callDuringReplay: false } },
          },
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
      stopping.abort();
      for (const w of workers) if (w.getState() === 'RUNNING') w.shutdown();
      await running;
      if (owned) await connection.close();
    },
  };
}

/**
 * With `tracing`, the bundle carries the workflow tracing interceptors; such a bundle works with
 * tracing off too (its spans go nowhere).
 */
export function bundleWorkflows(opts: { tracing?: boolean } = {}): Promise<WorkflowBundle> {
  return bundleWorkflowCode({
    workflowsPath,
    ...(opts.tracing ? { workflowInterceptorModules: [tracingInterceptorsPath] } : {}),
  });
}
