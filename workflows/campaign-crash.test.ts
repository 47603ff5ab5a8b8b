import type { ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { activityDeps } from '../activities/settings.ts';
import { startMailgunStub, type MailgunStub } from '../bench/stubs/mailgun-stub.ts';
import { parseConfig } from '../platform/config.ts';
import { createTestDatabase, type TestDatabase } from '../platform/testing/database.ts';
import { ALL_DAY, seedSendableCampaign, startSending } from '../platform/testing/sendable-campaign.ts';
import { temporalTestTarget, testLog, testTaskQueue } from '../platform/testing/temporal.ts';
import { startWorkerProcess, stopWorkerProcess } from '../platform/testing/worker-process.ts';
import { connectTemporalClient, type TemporalClient } from '../temporal/client.ts';
import { taskQueues } from '../temporal/task-queues.ts';
import { startWorkers, type Workers } from '../temporal/worker.ts';

/**
 * Crash safety (issue #4, the suite-sized version of issue #13's): the sends worker is a real
 * process, SIGKILLed at random points while it sends a campaign through the Mailgun stub (ten
 * e-mails a call) and restarted each time. Every planned message reaches the stub exactly once,
 * and the ledger says so: a row the dead worker left in `sending` is resolved against Mailgun's
 * logs (accepted: recorded; never accepted: sent now), never sent blind a second time.
 */

const RECIPIENTS = 300;
const KILLS = 3;
const apiKey = 'key-crash-test';
const domain = 'mg.crash.example';

describe('a campaign whose sends worker is killed mid-batch', () => {
  let t: TestDatabase;
  let stub: MailgunStub;
  let workflows: Workers;
  let temporal: TemporalClient;
  let child: ChildProcess | undefined;
  const prefix = testTaskQueue('crash');
  const queues = taskQueues(prefix);
  const target = temporalTestTarget();

  const startChild = () =>
    startWorkerProcess({
      NODE_ENV: 'test',
      LOG_LEVEL: 'error',
      DATABASE_URL: t.url,
      TEMPORAL_ADDRESS: target.address,
      TEMPORAL_NAMESPACE: target.namespace,
      TEMPORAL_TASK_QUEUE_PREFIX: prefix,
      MAILGUN_API_KEY: apiKey,
      MAILGUN_DOMAIN: domain,
      MAILGUN_BASE_URL: stub.url,
      UNSUBSCRIBE_SECRET: 'test-unsubscribe-secret-long-enough-0123456789',
      STORE_TIME_ZONE: 'UTC',
      SEND_HOURS: ALL_DAY,
      SEND_BATCH_SIZE: '50',
      // E-mails go to Mailgun ten to a call: a kill lands before, during or after a group's call.
      MAILGUN_BATCH_SIZE: '10',
    });
  const kill = (proc: ChildProcess) => stopWorkerProcess(proc, 'SIGKILL');

  beforeAll(async () => {
    t = await createTestDatabase();
    stub = await startMailgunStub({ apiKey, domain, latencyMs: 3 });
    const cfg = parseConfig({
      STORE_TIME_ZONE: 'UTC',
      UNSUBSCRIBE_SECRET: 'test-unsubscribe-secret-long-enough-0123456789',
    });
    // The workflow worker stays up in this process: the one that dies is the one that sends.
    workflows = await startWorkers({ ...target, queues, deps: activityDeps(cfg, t.db, testLog), kinds: ['workflows'] });
    temporal = await connectTemporalClient(target.address, target.namespace);
  });
  afterAll(async () => {
    if (child) await kill(child);
    await workflows?.shutdown();
    await temporal?.close();
    await stub?.close();
    await t?.drop();
  });

  it(`sends each of ${RECIPIENTS} messages exactly once across ${KILLS} SIGKILLs, and the ledger matches the provider`, async () => {
    const { campaignId } = await seedSendableCampaign(t.db, { recipients: RECIPIENTS });
    child = await startChild();
    const handle = await startSending(temporal.client, queues, campaignId);

    const killedAt: number[] = [];
    for (let k = 0; k < KILLS; k++) {
      // A random point in the next stretch of sending: after between 10 and 70 more messages.
      const at = stub.messages.length + 10 + Math.floor(Math.random() * 60);
      while (stub.messages.length < at) await new Promise((r) => setTimeout(r, 2));
      killedAt.push(stub.messages.length);
      await kill(child);
      child = await startChild();
    }
    expect(killedAt.at(-1)).toBeLessThan(RECIPIENTS);

    const result = await handle.result();
    expect(result.status).toBe('completed');

    // The provider's side: every planned message once, nothing else.
    const deliveries = stub.deliveriesBySendId();
    const sends = await t.db('sends').where({ campaign_id: campaignId });
    expect(sends).toHaveLength(RECIPIENTS);
    expect(deliveries.size).toBe(RECIPIENTS);
    expect([...deliveries.values()].filter((n) => n !== 1)).toEqual([]);
    expect(stub.messages).toHaveLength(RECIPIENTS);

    // The ledger's side: every row sent, with the id the provider gave that very message (its
    // call's id and its send id: one call carries up to ten here).
    const providerIds = new Map(
      stub.messages.map((m) => [m.variables.send_id!, `${m.id.replace(/^<|>$/g, '')}#${m.variables.send_id}`]),
    );
    expect(sends.filter((s) => !['sent', 'unconfirmed'].includes(s.status))).toEqual([]);
    expect(sends.filter((s) => s.provider_message_id !== providerIds.get(s.id))).toEqual([]);
    expect(sends.filter((s) => s.attempts !== 1)).toEqual([]);
    expect(result.counts).toMatchObject({ unknown: 0, failed: 0, retrying: 0, skipped: 0 });
    // Each kill costs the sends' heartbeat timeout (10 s) and the retry's first backoff (5 s).
  }, 150_000);
});
