import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Client } from '@temporalio/client';
import { createProviders } from '../../activities/messaging/providers/index.ts';
import { plannerSummary } from '../../activities/planning/planner.ts';
import { campaignTimings, unsubscribeSecret } from '../../activities/settings.ts';
import type { EngagementIngestion } from '../../activities/webhooks/ingestion.ts';
import { createApp } from '../../api/app.ts';
import { listen, type ApiServer } from '../../api/server.ts';
import { createApiServices } from '../../api/services.ts';
import { taskQueues } from '../../temporal/task-queues.ts';
import { parseConfig } from '../config.ts';
import type { Db } from '../db.ts';
import type { Logger } from '../logger.ts';

/**
 * The production API app (createApp, every middleware) on a free loopback port, without a
 * Temporal connection: webhook routes never use it. For webhook tests that need their own
 * ingestion, and for the webhook benchmark.
 */
export async function startWebhookApi(
  db: Db,
  o: { log: Logger; env?: NodeJS.ProcessEnv; engagement?: EngagementIngestion },
): Promise<ApiServer> {
  const cfg = parseConfig({
    DATA_DIR: mkdtempSync(path.join(os.tmpdir(), 'lma-webhooks-')),
    AUTH_SECRET: 'webhook-api-secret-that-is-long-enough-for-hs256',
    ...o.env,
  });
  const noTemporal = new Proxy({} as Client, {
    get() {
      throw new Error('the webhook API has no Temporal client');
    },
  });
  const app = createApp({
    db,
    log: o.log,
    temporalReady: async () => true,
    workflows: { client: noTemporal, queues: taskQueues('webhooks') },
    config: cfg,
    campaignTimings: campaignTimings(cfg),
    unsubscribeSecret: unsubscribeSecret(cfg),
    system: { planner: plannerSummary(cfg), providers: createProviders(cfg, { db }).summary },
    engagement: o.engagement,
    ...createApiServices(db, cfg),
  });
  return listen(app, 0, '127.0.0.1');
}
