import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { constants, PerformanceObserver } from 'node:perf_hooks';
import express from 'express';
import type { Client } from '@temporalio/client';
import { createProviders } from '../activities/messaging/providers/index.ts';
import { plannerSummary } from '../activities/planning/planner.ts';
import { campaignTimings, unsubscribeSecret } from '../activities/settings.ts';
import { createApp } from '../api/app.ts';
import { listen } from '../api/server.ts';
import { createApiServices } from '../api/services.ts';
import { parseConfig } from '../platform/config.ts';
import { createDb } from '../platform/db.ts';
import { createLogger } from '../platform/logger.ts';
import { taskQueues } from '../temporal/task-queues.ts';

/**
 * The API for `bench/api.bench.ts`, in a process of its own so that the load generator does not
 * share its event loop and its RSS is the API's alone. The production app (createApp, every
 * middleware), the production logger at the configured level (its lines go to /dev/null, after
 * being formatted as in production) and the configured pool size; next to it, on another port, a
 * bare Express JSON endpoint, the baseline. There is no Temporal server: a campaign's progress
 * answers from Postgres, as it does for a finished campaign.
 */

export interface ApiServerInput {
  databaseUrl: string;
  env: NodeJS.ProcessEnv;
}

export interface ApiServerReady {
  apiUrl: string;
  bareUrl: string;
}

process.once('message', async (input: ApiServerInput) => {
  const cfg = parseConfig({ DATA_DIR: mkdtempSync(path.join(os.tmpdir(), 'lma-api-bench-')), ...input.env });
  const db = createDb(input.databaseUrl, cfg.DATABASE_POOL_MAX);
  const log = createLogger(cfg.LOG_LEVEL, 'api');
  const noTemporal = new Proxy({} as Client, {
    get() {
      throw new Error('the benchmark API has no Temporal server');
    },
  });
  const app = createApp({
    db,
    log,
    temporalReady: async () => true,
    workflows: { client: noTemporal, queues: taskQueues('api-bench') },
    config: cfg,
    campaignTimings: campaignTimings(cfg),
    unsubscribeSecret: unsubscribeSecret(cfg),
    system: { planner: plannerSummary(cfg), providers: createProviders(cfg, { db }).summary },
    ...createApiServices(db, cfg),
  });
  const api = await listen(app, 0, '127.0.0.1');

  const bareApp = express();
  bareApp.get('/bare', (_req, res) => {
    res.json({ status: 'ok', items: [] });
  });
  const bare = await listen(bareApp, 0, '127.0.0.1');

  // Garbage-collection pauses on the main thread, by kind: what the memory settings cost in time.
  const gcPauses: Record<string, { count: number; ms: number }> = {};
  const gcKinds: Record<number, string> = {
    [constants.NODE_PERFORMANCE_GC_MINOR]: 'minor',
    [constants.NODE_PERFORMANCE_GC_MAJOR]: 'major',
    [constants.NODE_PERFORMANCE_GC_INCREMENTAL]: 'incremental',
    [constants.NODE_PERFORMANCE_GC_WEAKCB]: 'weakcb',
  };
  new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) {
      const kind = gcKinds[(entry as unknown as { detail: { kind: number } }).detail.kind] ?? 'other';
      const sum = (gcPauses[kind] ??= { count: 0, ms: 0 });
      sum.count++;
      sum.ms += entry.duration;
    }
  }).observe({ entryTypes: ['gc'] });

  process.on('message', async (message) => {
    if (message === 'gc') {
      process.send!(
        Object.fromEntries(Object.entries(gcPauses).map(([k, v]) => [k, { count: v.count, ms: Math.round(v.ms) }])),
      );
      for (const k of Object.keys(gcPauses)) delete gcPauses[k];
      return;
    }
    if (message === 'memory') {
      const mib = (usage: NodeJS.MemoryUsage) =>
        Object.fromEntries(Object.entries(usage).map(([k, v]) => [k, Math.round((v as number) / 2 ** 20)]));
      const now = mib(process.memoryUsage());
      // Run with --expose-gc, also what is left after a full collection: live data, not garbage.
      const gc = (globalThis as { gc?: () => void }).gc;
      if (gc) gc();
      process.send!(gc ? { ...now, afterFullGc: mib(process.memoryUsage()) } : now);
      return;
    }
    await Promise.all([api.close(1_000), bare.close(1_000)]);
    await db.destroy();
    process.exit(0);
  });
  process.send!({ apiUrl: api.url, bareUrl: bare.url } satisfies ApiServerReady);
});
