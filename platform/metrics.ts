import { collectDefaultMetrics, Registry } from 'prom-client';

/**
 * A process's Prometheus registry, with the default Node.js process metrics (CPU, memory, event
 * loop lag, GC). The launcher builds one and hands it to whatever the process runs; tests build
 * one per API they start, which is why this is a factory and not a module-level global.
 *
 * Every metric of ours is named `lma_…`; the Temporal SDK's own metrics (`temporal_…`) are served
 * by the worker's runtime on a port of their own (see `installRuntime` in temporal/worker.ts).
 */
export function createMetricsRegistry(): Registry {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  return registry;
}

export type { Registry };
