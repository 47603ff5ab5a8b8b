/**
 * Campaign send throughput: the campaign workflow and its send activities on a real Temporal
 * dev server, with the worker in a child process (its peak RSS is the worker's own), against a
 * baseline measured in the same run — the same send activity code called in a plain loop, batch
 * after batch, in this process with no Temporal in between. Both send the same number of
 * messages of a fresh campaign each (every recipient passes compliance), through the sandbox
 * (outbox rows) and through the Mailgun stub (HTTP, the real SDK).
 *
 *   npm run bench -- campaign-send [--recipients 10000[,100000]] [--providers sandbox,mailgun]
 */
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { MockActivityEnvironment } from '@temporalio/testing';
import { createCampaignSendingActivities, type SendBatchInput } from '../activities/campaign-sending.ts';
import { activityDeps } from '../activities/settings.ts';
import { parseConfig } from '../platform/config.ts';
import type { Db } from '../platform/db.ts';
import { residentMemory } from '../platform/testing/platform-process.ts';
import { ALL_DAY, seedSendableCampaign, startSending } from '../platform/testing/sendable-campaign.ts';
import { startWorkerProcess, stopWorkerProcess } from '../platform/testing/worker-process.ts';
import { taskQueues } from '../temporal/task-queues.ts';
import { writeWorkflowBundle } from '../temporal/workflow-bundle.ts';
import { startMailgunStub, type MailgunStub } from './stubs/mailgun-stub.ts';
import { startBenchTemporal } from './dev-temporal.ts';
import type { Benchmark } from './types.ts';

const NAMESPACE = 'lma-bench';
const apiKey = 'key-bench';
const domain = 'mg.bench.example';

const round = (x: number, places = 0) => Number(x.toFixed(places));
function connectionString(db: Db): string {
  const connection = db.client.config.connection as { connectionString: string };
  return connection.connectionString;
}

async function decided(db: Db, campaignId: string): Promise<number> {
  const [{ n }] = (await db('sends')
    .where({ campaign_id: campaignId })
    .whereNotIn('status', ['pending', 'sending'])
    .count({ n: '*' })) as [{ n: number }];
  return Number(n);
}

const benchmark: Benchmark = async ({ db: openDb, log, args }) => {
  const { values } = parseArgs({
    args,
    options: { recipients: { type: 'string' }, providers: { type: 'string' } },
    strict: true,
  });
  const sizes = (values.recipients ?? '10000').split(',').map(Number);
  if (sizes.some((n) => !Number.isSafeInteger(n) || n < 1 || n > 100_000)) {
    throw new RangeError('--recipients: whole numbers from 1 to 100,000, comma-separated');
  }
  const providers = (values.providers ?? 'sandbox,mailgun').split(',');
  if (providers.some((p) => p !== 'sandbox' && p !== 'mailgun')) {
    throw new RangeError('--providers: sandbox and/or mailgun');
  }

  const db = await openDb();
  const { server, temporal, stop: stopTemporal } = await startBenchTemporal(log, NAMESPACE);
  const bundle = path.join(os.tmpdir(), `lma-bench-workflows-${process.pid}.js`);
  await writeWorkflowBundle(bundle);
  const stub: MailgunStub = await startMailgunStub({ apiKey, domain });
  const runs: Record<string, unknown>[] = [];
  try {
    for (const provider of providers) {
      const env: NodeJS.ProcessEnv = {
        NODE_ENV: 'production',
        // Built once, loaded by the worker as production workers load it: no webpack at start-up.
        WORKFLOW_BUNDLE: bundle,
        LOG_LEVEL: 'error',
        DATABASE_URL: connectionString(db),
        TEMPORAL_ADDRESS: server.address,
        TEMPORAL_NAMESPACE: NAMESPACE,
        UNSUBSCRIBE_SECRET: 'bench-unsubscribe-secret-long-enough-0123456789',
        STORE_TIME_ZONE: 'UTC',
        SEND_HOURS: ALL_DAY,
        // Every recipient is a fresh customer: the cap never bites, in either run.
        FREQUENCY_CAP: '100/1',
        ...(provider === 'mailgun'
          ? { MAILGUN_API_KEY: apiKey, MAILGUN_DOMAIN: domain, MAILGUN_BASE_URL: stub.url }
          : {}),
      };
      const cfg = parseConfig(env);
      const deps = activityDeps(cfg, db, log);
      const sending = createCampaignSendingActivities({ db, messaging: deps.messaging });

      for (const recipients of sizes) {
        // Baseline: the send activity in a plain loop, as the workflow would call it, without Temporal.
        const base = await seedSendableCampaign(db, { recipients, name: `bench baseline ${provider}` });
        const activity = new MockActivityEnvironment();
        let started = performance.now();
        let cursor: string | null = null;
        do {
          const input: SendBatchInput = {
            campaignId: base.campaignId,
            day: 0,
            opensAt: base.sendAt.getTime(),
            attempt: 1,
            cursor,
            now: Date.now(),
          };
          const batch = (await activity.run(sending.sendCampaignBatch, input)) as Awaited<
            ReturnType<typeof sending.sendCampaignBatch>
          >;
          cursor = batch.nextCursor;
        } while (cursor !== null);
        const baselineMs = performance.now() - started;
        if ((await decided(db, base.campaignId)) !== recipients) throw new Error('the baseline left messages unsent');

        // The campaign workflow, its worker in a child process.
        const prefix = `bench-${provider}-${recipients}-${Date.now()}`;
        const queues = taskQueues(prefix);
        const worker = await startWorkerProcess({
          ...env,
          TEMPORAL_TASK_QUEUE_PREFIX: prefix,
          WORKER_KINDS: 'workflows,sends',
        });
        const idle = residentMemory(worker.pid!);
        const run = await seedSendableCampaign(db, { recipients, name: `bench campaign ${provider}` });
        started = performance.now();
        const handle = await startSending(temporal.client, queues, run.campaignId);
        let peakDuring = 0;
        while ((await decided(db, run.campaignId)) < recipients) {
          peakDuring = Math.max(peakDuring, residentMemory(worker.pid!)?.rssMiB ?? 0);
          await new Promise((r) => setTimeout(r, 100));
        }
        const campaignMs = performance.now() - started;
        await handle.result();
        const memory = residentMemory(worker.pid!);
        await stopWorkerProcess(worker, 'SIGTERM');

        runs.push({
          provider,
          recipients,
          baseline: { seconds: round(baselineMs / 1000, 1), perSecond: round(recipients / (baselineMs / 1000)) },
          campaign: { seconds: round(campaignMs / 1000, 1), perSecond: round(recipients / (campaignMs / 1000)) },
          campaignVsBaseline: round(baselineMs / campaignMs, 2),
          worker: { idleRssMiB: idle?.rssMiB, peakRssMiB: memory?.peakMiB, sampledPeakRssMiB: peakDuring },
          loadAverage: os.loadavg().map((l) => round(l, 1)),
        });
        log.info(runs.at(-1), 'campaign send run');
      }
    }
  } finally {
    await stub.close();
    await stopTemporal();
  }
  return { runs, stubMessages: stub.messages.length };
};

export default benchmark;
