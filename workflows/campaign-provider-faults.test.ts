import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { activityDeps } from '../activities/settings.ts';
import { startMailgunStub, type MailgunStub } from '../bench/stubs/mailgun-stub.ts';
import { parseConfig } from '../platform/config.ts';
import { createTestDatabase, type TestDatabase } from '../platform/testing/database.ts';
import { ALL_DAY, seedSendableCampaign, startSending } from '../platform/testing/sendable-campaign.ts';
import { temporalTestTarget, testLog, testTaskQueue } from '../platform/testing/temporal.ts';
import { connectTemporalClient, type TemporalClient } from '../temporal/client.ts';
import { taskQueues } from '../temporal/task-queues.ts';
import { startWorkers, type Workers } from '../temporal/worker.ts';

/**
 * Provider faults (issue #13): the Mailgun stub answers 20 % of requests with a 5xx, 5 % with a
 * 429 and Retry-After, and drops 2 % of connections after holding them. The real SDK sends a
 * campaign through it with the production retry rules. Every message ends sent or failed after
 * the allowed attempts, none reaches the provider twice, and the admins hear about the failures.
 * A fault fails every message of the call it hits, each row on its own for its own retries.
 */

const RECIPIENTS = 250;
const MAX_ATTEMPTS = 3;
const apiKey = 'key-faults-test';
const domain = 'mg.faults.example';

describe('a campaign sent through a provider that fails at production rates', () => {
  let t: TestDatabase;
  let stub: MailgunStub;
  let workers: Workers;
  let temporal: TemporalClient;
  const queues = taskQueues(testTaskQueue('faults'));

  beforeAll(async () => {
    t = await createTestDatabase();
    stub = await startMailgunStub({
      apiKey,
      domain,
      seed: 13,
      faultRates: { server_error: 0.2, rate_limited: 0.05, timeout: 0.02 },
      retryAfterSeconds: 1,
      hangMs: 300,
    });
    const cfg = parseConfig({
      STORE_TIME_ZONE: 'UTC',
      SEND_HOURS: ALL_DAY,
      SEND_MAX_ATTEMPTS: String(MAX_ATTEMPTS),
      MAILGUN_API_KEY: apiKey,
      MAILGUN_DOMAIN: domain,
      MAILGUN_BASE_URL: stub.url,
      SEND_BATCH_SIZE: '50',
      // Five e-mails a Mailgun call: enough calls for the fault rates to play out on a small campaign.
      MAILGUN_BATCH_SIZE: '5',
      UNSUBSCRIBE_SECRET: 'test-unsubscribe-secret-long-enough-0123456789',
    });
    workers = await startWorkers({ ...temporalTestTarget(), queues, deps: activityDeps(cfg, t.db, testLog) });
    temporal = await connectTemporalClient(temporalTestTarget().address, temporalTestTarget().namespace);
  });
  afterAll(async () => {
    await workers?.shutdown();
    await temporal?.close();
    await stub?.close();
    await t?.drop();
  });

  it('ends every message sent or failed, sends none twice, and notifies the admins of what failed', async () => {
    const { campaignId } = await seedSendableCampaign(t.db, { recipients: RECIPIENTS });
    const handle = await startSending(temporal.client, queues, campaignId);
    const result = await handle.result();
    expect(result.status).toBe('completed');

    const sends = await t.db('sends').where({ campaign_id: campaignId });
    expect(sends).toHaveLength(RECIPIENTS);
    const byStatus = Object.groupBy(sends, (s) => s.status as string);
    // Nothing is left in between: each message went out, or failed for good after its attempts.
    expect(Object.keys(byStatus).filter((s) => !['sent', 'unconfirmed', 'failed'].includes(s))).toEqual([]);
    expect(sends.filter((s) => s.attempts > MAX_ATTEMPTS)).toEqual([]);
    expect(sends.filter((s) => s.status === 'failed' && s.retryable)).toEqual([]);

    // The provider saw each message at most once, and exactly the ones the ledger says went out.
    const deliveries = stub.deliveriesBySendId();
    expect([...deliveries.values()].filter((n) => n !== 1)).toEqual([]);
    const wentOut = sends.filter((s) => s.status !== 'failed').map((s) => s.id as string);
    expect([...deliveries.keys()].sort()).toEqual(wentOut.sort());
    // At these rates most messages get through within three attempts, and some needed a retry.
    expect(wentOut.length).toBeGreaterThan(RECIPIENTS * 0.9);
    expect(sends.filter((s) => s.attempts > 1).length).toBeGreaterThan(RECIPIENTS * 0.1);

    const failed = byStatus.failed ?? [];
    const notices = await t.db('notifications').where({ campaign_id: campaignId, kind: 'sends_failed' });
    if (failed.length > 0) {
      expect(notices).toHaveLength(1);
      expect(notices[0].title).toContain(`${failed.length} messages`);
    } else expect(notices).toEqual([]);
    expect(result.counts.failed).toBe(failed.length);
  }, 180_000);
});
