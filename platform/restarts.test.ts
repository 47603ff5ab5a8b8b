import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { activityDeps } from '../activities/settings.ts';
import { createCampaign } from '../api/data/campaigns.ts';
import { seedDemo } from '../bench/datagen/seed.ts';
import { findTemporalCli } from '../temporal/cli.ts';
import { connectTemporalClient, isTemporalReachable, type TemporalClient } from '../temporal/client.ts';
import { startDevServer, type DevServer } from '../temporal/dev-server.ts';
import { startWorkers, type Workers } from '../temporal/worker.ts';
import { progressQuery, startUpdate, type CampaignProgress } from '../workflows/campaign-messages.ts';
import type { campaignWorkflow } from '../workflows/campaign.ts';
import type { scoreCustomersWorkflow } from '../workflows/score-customers.ts';
import { parseConfig } from './config.ts';
import { createDb, type Db } from './db.ts';
import { migrateToLatest } from './migrate.ts';
import { startEmbeddedPostgres, type EmbeddedPostgres } from './postgres.ts';
import { freePort } from './processes.ts';
import { startTestApi, type TestApi } from './testing/api.ts';
import { CAMPAIGN_TZ, campaignLedger, localDate, planAndApprove } from './testing/campaigns.ts';
import { testLog, testTaskQueue } from './testing/temporal.ts';

/**
 * A campaign keeps going while its Temporal server and its PostgreSQL restart under it, and the
 * API says it is not ready while either is down. This file runs its own servers (a dev server
 * with a SQLite file, so that a restart keeps the workflows; a PostgreSQL cluster of its own,
 * so that other test files never see it go down).
 */

const NAMESPACE = 'restarts';
const dir = mkdtempSync(path.join(os.tmpdir(), 'lma-restarts-'));
chmodSync(dir, 0o755); // PostgreSQL runs as its own user when the tests run as root

async function eventually<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

describe('restarts in the middle of a campaign', () => {
  let pg: EmbeddedPostgres;
  let pgPort: number;
  let temporalPort: number;
  let temporal: DevServer;
  let db: Db;
  let client: TemporalClient;
  let workers: Workers;
  let api: TestApi;
  const cliPath = findTemporalCli(process.env.TEMPORAL_CLI_PATH || undefined)!.path;
  const startTemporal = () =>
    startDevServer({
      cliPath,
      namespace: NAMESPACE,
      port: temporalPort,
      uiPort: false,
      dbFile: path.join(dir, 'temporal.sqlite'),
      log: testLog,
    });
  const startPostgres = () =>
    startEmbeddedPostgres({ dir: path.join(dir, 'postgres'), port: pgPort, log: testLog, ephemeral: true });
  const prefix = testTaskQueue('restarts');
  const queues = {
    workflows: `${prefix}-workflows`,
    sends: `${prefix}-sends`,
    scoring: `${prefix}-scoring`,
    planning: `${prefix}-planning`,
  };

  beforeAll(async () => {
    [pgPort, temporalPort] = [await freePort(), await freePort()];
    pg = await startPostgres();
    db = createDb(pg.url, 5);
    await migrateToLatest(db);
    temporal = await startTemporal();
    client = await connectTemporalClient(temporal.address, NAMESPACE);
    const cfg = parseConfig({
      STORE_TIME_ZONE: CAMPAIGN_TZ,
      UNSUBSCRIBE_SECRET: 'test-unsubscribe-secret-long-enough-0123456789',
      CAMPAIGN_DAY_LENGTH: '20 seconds', // long enough that both outages fall before the last day, even on a loaded machine
      SEND_HOURS: '00:00-23:59',
    });
    workers = await startWorkers({
      address: temporal.address,
      namespace: NAMESPACE,
      queues,
      deps: activityDeps(cfg, db, testLog),
    });
    api = await startTestApi(db, {
      temporalReady: () => isTemporalReachable(client.connection, NAMESPACE),
      workflows: { client: client.client, queues },
    });
    await seedDemo(db, { seed: 5, customerCount: 300, asOf: new Date(), timeZone: CAMPAIGN_TZ });
    await client.client.workflow.execute<typeof scoreCustomersWorkflow>('scoreCustomersWorkflow', {
      taskQueue: queues.workflows,
      workflowId: `${prefix}-score`,
      args: [{ trigger: 'manual', scoringTaskQueue: queues.scoring }],
    });
  }, 240_000);

  afterAll(async () => {
    await api?.close();
    await workers?.shutdown();
    await client?.close();
    await db?.destroy();
    await temporal?.stop();
    await pg?.stop();
    rmSync(dir, { recursive: true, force: true });
  }, 120_000);

  const readiness = async () => {
    const res = await fetch(`${api.url}/readyz`);
    return { status: res.status, body: (await res.json()) as { checks: Record<string, string> } };
  };
  const waitForReadiness = (status: number, down?: 'postgres' | 'temporal') =>
    eventually(`/readyz ${status}`, async () => {
      const r = await readiness();
      if (r.status !== status) return undefined;
      if (down) expect(r.body.checks[down]).toBe('down');
      return r;
    });

  it('completes, sending each planned message once, and /readyz says 503 while a dependency is down', async () => {
    const { id: campaignId } = await createCampaign(db, {
      name: 'Restart-proof weekend',
      type: 'holiday',
      goal: 'Move the new bourbon before the weekend',
      targetSegments: [],
      channels: ['email', 'sms'],
      startsOn: localDate(0),
      windowDays: 3,
      audienceSize: 150,
      timeZone: CAMPAIGN_TZ,
      createdBy: null,
      idempotencyKey: null,
    });
    const handle = await client.client.workflow.start<typeof campaignWorkflow>('campaignWorkflow', {
      taskQueue: queues.workflows,
      workflowId: `campaign-${campaignId}`,
      args: [
        {
          campaignId,
          queues: { sends: queues.sends, planning: queues.planning },
          timings: { retryDelay: '1 second', deliveryWait: '3 seconds', engagementWindow: '3 seconds' },
        },
      ],
    });
    await planAndApprove(handle);
    await handle.executeUpdate(startUpdate);
    const progress = () => handle.query(progressQuery);
    await eventually('the first sends', async () => {
      const p = await progress();
      return p.counts.sent > 0 ? p : undefined;
    });

    // Temporal goes away in the middle of the campaign (its timers, the worker's polls), and comes back.
    expect((await progress()).day).toBe(0);
    await temporal.stop();
    await waitForReadiness(503, 'temporal');
    temporal = await startTemporal();
    await waitForReadiness(200);

    // Then PostgreSQL, while days are still to send: the activities and the API lose their
    // connections, and get them back.
    expect((await progress()).status).toBe('active');
    await pg.stop();
    await waitForReadiness(503, 'postgres');
    pg = await startPostgres();
    await waitForReadiness(200);

    const final = await eventually<CampaignProgress>(
      'the campaign to finish',
      async () => {
        const p = await progress();
        return p.status === 'completed' || p.status === 'failed' ? p : undefined;
      },
      180_000,
    );
    expect(final.status).toBe('completed');
    expect(await handle.result()).toMatchObject({ status: 'completed' });

    // Every planned message has exactly one ledger row, and what went out went out once.
    const { planned, sends, outbox } = await campaignLedger(db, campaignId);
    expect(planned.length).toBeGreaterThan(50);
    expect(sends.map((s) => s.id).sort()).toEqual([...planned].sort());
    expect(new Set(outbox.map((o) => o.send_id)).size).toBe(outbox.length);
    // Sandbox delivery events are not ingested here, so what went out ends `unconfirmed`.
    const wentOut = ['sent', 'unconfirmed', 'delivered', 'opened', 'clicked'];
    const delivered = sends.filter((s) => wentOut.includes(s.status as string));
    const byStatus = Object.groupBy(sends, (s) => `${s.status as string}:${(s.skip_reason as string) ?? ''}`);
    expect(delivered.length, JSON.stringify(Object.entries(byStatus).map(([k, v]) => [k, v!.length]))).toBeGreaterThan(
      0,
    );
    const inOutbox = new Set(outbox.map((o) => o.send_id as string));
    expect(delivered.filter((s) => !inOutbox.has(s.id as string))).toEqual([]);
  }, 300_000);
});
