import proto from '@temporalio/proto';
import { Client, type WorkflowHandle } from '@temporalio/client';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { defaultPayloadConverter, type Duration } from '@temporalio/common';
import { sendId, type SendBatchInput, type SendCounts } from '../../activities/campaign-sending.ts';
import { activityDeps } from '../../activities/settings.ts';
import type { Providers } from '../../activities/messaging/providers/index.ts';
import { createCampaign, type NewCampaign } from '../../api/data/campaigns.ts';
import { seedDemo } from '../../bench/datagen/seed.ts';
import { projectSearchAttributes } from '../../temporal/search-attributes.ts';
import type { TaskQueues } from '../../temporal/task-queues.ts';
import { testServerExecutable } from '../../temporal/test-server.ts';
import { installRuntimeLogger, startWorkers, type Workers } from '../../temporal/worker.ts';
import {
  approveUpdate,
  generateUpdate,
  progressQuery,
  type CampaignProgress,
  type CampaignWorkflowInput,
} from '../../workflows/campaign-messages.ts';
import type { campaignWorkflow } from '../../workflows/campaign.ts';
import type { scoreCustomersWorkflow } from '../../workflows/score-customers.ts';
import { parseConfig, type Config } from '../config.ts';
import type { Db } from '../db.ts';
import type { History } from './histories.ts';
import { testLog, testTaskQueue } from './temporal.ts';

/**
 * A campaign under Temporal's time-skipping test server: seeded and scored customers in the
 * caller's database, workers for every queue with the production activities, and the steps a
 * marketer takes to get a campaign from draft to sending.
 *
 * The clock only moves through `env.sleep` here, never through the environment client's
 * `result()`: that call unlocks time skipping until the result is in, and the Java test server
 * keeps every finished workflow's execution-timeout timer (10 years by default), so in the
 * moment between the result and the re-lock it jumps 10 years ahead. A campaign planned for
 * tomorrow would then find all its windows long past and send everything at once.
 */

export const CAMPAIGN_TZ = 'America/Chicago';

export type CampaignHandle = WorkflowHandle<typeof campaignWorkflow>;

/** The store's calendar date `offsetDays` from now, as YYYY-MM-DD. */
export function localDate(offsetDays: number, now = Date.now()): string {
  return new Intl.DateTimeFormat('en-CA', { timeZone: CAMPAIGN_TZ }).format(new Date(now + offsetDays * 86_400_000));
}

export interface CampaignTestEnv {
  env: TestWorkflowEnvironment;
  /** A client on the same server whose `result()` waits without unlocking time skipping. */
  client: Client;
  db: Db;
  cfg: Config;
  queues: TaskQueues;
  workers: Workers;
  /** Stops the workers and the test server; the database is the caller's. */
  teardown(): Promise<void>;
}

export interface CampaignTestEnvOptions {
  /** Names the task queues (and so the workflow ids built from them). */
  name: string;
  /** Exact task queue prefix instead of a random one, for recordings that should not change. */
  queuePrefix?: string;
  customerCount?: number;
  seed?: number;
  /** Providers built from the config, e.g. the sandbox wrapped to fail on purpose. */
  providers?: (cfg: Config, db: Db) => Providers;
  /** Messages per send activity (production: 1,000), to make many batches of few recipients. */
  batchSize?: number;
}

export async function startCampaignTestEnv(db: Db, options: CampaignTestEnvOptions): Promise<CampaignTestEnv> {
  installRuntimeLogger(testLog);
  const env = await TestWorkflowEnvironment.createTimeSkipping({
    server: { executable: { type: 'existing-path', path: testServerExecutable() } },
  });
  let workers: Workers | undefined;
  try {
    await env.connection.operatorService.addSearchAttributes({
      namespace: env.namespace ?? 'default',
      searchAttributes: Object.fromEntries(
        projectSearchAttributes.map((a) => [
          a.name,
          proto.temporal.api.enums.v1.IndexedValueType[`INDEXED_VALUE_TYPE_${a.type}`],
        ]),
      ),
    });
    const cfg = parseConfig({
      STORE_TIME_ZONE: CAMPAIGN_TZ,
      UNSUBSCRIBE_SECRET: 'test-unsubscribe-secret-long-enough-0123456789',
    });
    const prefix = options.queuePrefix ?? testTaskQueue(options.name);
    const queues = {
      workflows: `${prefix}-wf`,
      sends: `${prefix}-sends`,
      scoring: `${prefix}-scoring`,
      planning: `${prefix}-planning`,
    };
    const deps = activityDeps(cfg, db, testLog, options.providers?.(cfg, db));
    if (options.batchSize) deps.messaging.batchSize = options.batchSize;
    workers = await startWorkers({
      address: '',
      connection: env.nativeConnection,
      namespace: env.namespace ?? 'default',
      queues,
      deps,
    });
    await seedDemo(db, {
      seed: options.seed ?? 11,
      customerCount: options.customerCount ?? 250,
      asOf: new Date(),
      timeZone: CAMPAIGN_TZ,
    });
    const client = new Client({ connection: env.connection, namespace: env.namespace ?? 'default' });
    await client.workflow.execute<typeof scoreCustomersWorkflow>('scoreCustomersWorkflow', {
      taskQueue: queues.workflows,
      workflowId: `${prefix}-score`,
      args: [{ trigger: 'manual', scoringTaskQueue: queues.scoring }],
    });
    const running = workers;
    return {
      env,
      client,
      db,
      cfg,
      queues,
      workers,
      async teardown() {
        await running.shutdown();
        await env.teardown();
      },
    };
  } catch (err) {
    await workers?.shutdown();
    await env.teardown();
    throw err;
  }
}

/**
 * A draft campaign starting tomorrow in the store's time zone, by the test server's clock (which
 * earlier campaigns of the same environment have moved on).
 */
export async function createTestCampaign(t: CampaignTestEnv, overrides: Partial<NewCampaign> = {}): Promise<string> {
  const { id } = await createCampaign(t.db, {
    name: 'Winter win-back',
    type: 'win_back',
    goal: 'Bring lapsed regulars back before the holidays',
    targetSegments: [],
    channels: ['email', 'sms'],
    startsOn: localDate(1, await t.env.currentTimeMs()),
    windowDays: 7,
    audienceSize: 60,
    timeZone: CAMPAIGN_TZ,
    createdBy: null,
    idempotencyKey: null,
    ...overrides,
  });
  return id;
}

/** The hour (0-23) on the store's wall clock at an instant. */
export function localHour(ms: number): number {
  return Number(
    new Intl.DateTimeFormat('en-GB', { timeZone: CAMPAIGN_TZ, hour: '2-digit', hourCycle: 'h23' }).format(ms),
  );
}

export async function startCampaignWorkflow(
  t: CampaignTestEnv,
  campaignId: string,
  input: Partial<CampaignWorkflowInput> = {},
): Promise<CampaignHandle> {
  return t.client.workflow.start<typeof campaignWorkflow>('campaignWorkflow', {
    taskQueue: t.queues.workflows,
    workflowId: `campaign-${campaignId}`,
    args: [{ campaignId, queues: { sends: t.queues.sends, planning: t.queues.planning }, ...input }],
  });
}

/**
 * Waits (in real time: planning is an activity, and no timer is involved) until the workflow
 * reports a status, and returns its progress then.
 */
export async function waitForStatus(handle: CampaignHandle, status: CampaignProgress['status']) {
  let progress = await handle.query(progressQuery);
  for (let i = 0; i < 200 && progress.status !== status; i++) {
    await new Promise((r) => setTimeout(r, 100));
    progress = await handle.query(progressQuery);
  }
  if (progress.status !== status) {
    throw new Error(`campaign still ${progress.status}, not ${status}: ${progress.lastError ?? 'no error'}`);
  }
  return progress;
}

/** Generates the plan, waits for it, and approves it as is. */
export async function planAndApprove(handle: CampaignHandle): Promise<CampaignProgress> {
  await handle.executeUpdate(generateUpdate);
  await waitForStatus(handle, 'awaiting_approval');
  return handle.executeUpdate(approveUpdate, { args: [{ approvedBy: null }] });
}

/**
 * Skips the test server's clock forward `step` at a time until the workflow's progress
 * satisfies `done`; timers that fall due on the way fire, and activities run meanwhile.
 */
export async function skipUntil(
  t: CampaignTestEnv,
  handle: CampaignHandle,
  done: (p: CampaignProgress) => boolean,
  { step = '1 hour', maxSteps = 24 * 14 }: { step?: Duration; maxSteps?: number } = {},
): Promise<CampaignProgress> {
  for (let i = 0; i < maxSteps; i++) {
    const progress = await handle.query(progressQuery);
    if (done(progress)) return progress;
    await t.env.sleep(step);
  }
  throw new Error(`the campaign did not get there in ${maxSteps} steps of ${String(step)}`);
}

/**
 * Lets the campaign run to its end, a day of simulated time at a go (every timer on the way
 * fires in order, and the clock waits for running activities), and returns its result.
 */
export async function runToCompletion(
  t: CampaignTestEnv,
  handle: CampaignHandle,
  { step = '1 day', maxSteps = 60 }: { step?: Duration; maxSteps?: number } = {},
): Promise<CampaignProgress> {
  for (let i = 0; i < maxSteps; i++) {
    const { status } = await handle.describe();
    if (status.name !== 'RUNNING') return handle.result();
    await t.env.sleep(step);
  }
  throw new Error(`the campaign was still running after ${maxSteps} steps of ${String(step)}`);
}

type HistoryEvent = NonNullable<History['events']>[number];

export function eventTimeMs(e: HistoryEvent): number {
  return Number(e.eventTime?.seconds ?? 0) * 1000 + Math.floor((e.eventTime?.nanos ?? 0) / 1e6);
}

export interface BatchRun {
  input: SendBatchInput;
  scheduledEventId: number;
  scheduledAt: number;
  /** Absent while the batch runs, or when it ended otherwise (failed, cancelled, timed out). */
  result?: { counts: SendCounts; nextCursor: string | null };
  completedAt?: number;
}

/** Every `sendCampaignBatch` the workflow dispatched, with its input and result, from its history. */
export function sendBatches(history: History): BatchRun[] {
  const runs = new Map<number, BatchRun>();
  for (const e of history.events ?? []) {
    const scheduled = e.activityTaskScheduledEventAttributes;
    if (scheduled?.activityType?.name === 'sendCampaignBatch') {
      runs.set(Number(e.eventId), {
        input: defaultPayloadConverter.fromPayload(scheduled.input!.payloads![0]!),
        scheduledEventId: Number(e.eventId),
        scheduledAt: eventTimeMs(e),
      });
    }
    const completed = e.activityTaskCompletedEventAttributes;
    const run = completed && runs.get(Number(completed.scheduledEventId));
    if (run) {
      run.result = defaultPayloadConverter.fromPayload(completed.result!.payloads![0]!);
      run.completedAt = eventTimeMs(e);
    }
  }
  return [...runs.values()];
}

export interface CampaignLedger {
  /** The ledger id of every message the approved plan holds (an action per channel). */
  planned: string[];
  sends: Record<string, any>[];
  outbox: Record<string, any>[];
}

export async function campaignLedger(db: Db, campaignId: string): Promise<CampaignLedger> {
  const actions = await db('actions').where({ campaign_id: campaignId });
  const planned = actions.flatMap((a) =>
    (a.channels as string[]).map((channel) => sendId(campaignId, a.customer_id, channel, a.day)),
  );
  const sends = await db('sends').where({ campaign_id: campaignId });
  const outbox = await db('outbox').whereIn(
    'send_id',
    sends.map((s) => s.id),
  );
  return { planned, sends, outbox };
}
