import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createProviders } from '../activities/messaging/providers/index.ts';
import { plannerSummary } from '../activities/planning/planner.ts';
import { campaignTimings, unsubscribeSecret } from '../activities/settings.ts';
import { createApp } from '../api/app.ts';
import { listen } from '../api/server.ts';
import { createApiServices } from '../api/services.ts';
import { parseConfig } from '../platform/config.ts';
import { createDb } from '../platform/db.ts';
import { createLogger } from '../platform/logger.ts';
import { connectTemporalClient } from '../temporal/client.ts';
import type { TaskQueues } from '../temporal/task-queues.ts';

/**
 * The production API for `bench/journeys.bench.ts`, in a process of its own (the load generator
 * does not share its event loop), with the process's one Temporal client on the benchmark's dev
 * server: `POST /api/events` signal-with-starts journeys for real.
 */

export interface JourneysApiInput {
  databaseUrl: string;
  temporalAddress: string;
  namespace: string;
  queues: TaskQueues;
  env: NodeJS.ProcessEnv;
}

process.once('message', async (input: JourneysApiInput) => {
  const cfg = parseConfig({ DATA_DIR: mkdtempSync(path.join(os.tmpdir(), 'lma-journeys-bench-')), ...input.env });
  const db = createDb(input.databaseUrl, cfg.DATABASE_POOL_MAX);
  const log = createLogger(cfg.LOG_LEVEL, 'api');
  const temporal = await connectTemporalClient(input.temporalAddress, input.namespace);
  const app = createApp({
    db,
    log,
    temporalReady: async () => true,
    workflows: { client: temporal.client, queues: input.queues },
    config: cfg,
    campaignTimings: campaignTimings(cfg),
    unsubscribeSecret: unsubscribeSecret(cfg),
    system: { planner: plannerSummary(cfg), providers: createProviders(cfg, { db }).summary },
    ...createApiServices(db, cfg),
  });
  const api = await listen(app, 0, '127.0.0.1');
  process.on('message', async () => {
    await api.close(1_000);
    await temporal.close();
    await db.destroy();
    process.exit(0);
  });
  process.send!({ url: api.url });
});
