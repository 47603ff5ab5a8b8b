import { ScheduleNotFoundError } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSandboxProviders } from '../activities/messaging/providers/sandbox.ts';
import { insertCampaign, insertCustomer, insertSend } from '../activities/webhooks/testing.ts';
import { createTestDatabase, type TestDatabase } from '../platform/testing/database.ts';
import { startTestWorkers, type TestWorkers } from '../platform/testing/temporal.ts';
import { ensureSandboxEventsSchedule } from '../temporal/sandbox-events-schedule.ts';
import { sandboxEventsScheduleId } from '../temporal/workflow-ids.ts';

/**
 * The sandbox's simulated events reach the ledger the way webhooks would: a Temporal Schedule
 * starts `ingestSandboxEventsWorkflow` every minute on the worker's own queues.
 */
describe('sandbox events on a schedule', () => {
  let t: TestDatabase;
  let w: TestWorkers;

  beforeAll(async () => {
    t = await createTestDatabase();
    w = await startTestWorkers(t.db);
  });
  afterAll(async () => {
    await w?.close();
    await t?.drop();
  });

  it('runs every minute while a channel is in the sandbox, moves sandbox sends forward, and goes away with real providers', async () => {
    // A message the sandbox "sent" an hour ago: its delivery (and any open or click) has happened by now.
    const sandbox = createSandboxProviders({ db: t.db });
    const customer = await insertCustomer(t.db);
    const send = await insertSend(t.db, {
      customerId: customer.id,
      campaignId: await insertCampaign(t.db),
      provider: 'sandbox',
    });
    const [sent] = await sandbox.email.send([
      { sendId: send.id, to: customer.email!, subject: 'Hi', html: '<p>Hi</p>', text: 'Hi', headers: {} },
    ]);
    if (!sent?.ok) throw new Error('the sandbox refused the message');
    await t
      .db('outbox')
      .where({ send_id: send.id })
      .update({ created_at: t.db.raw(`now() - interval '1 hour'`) });
    await t.db('sends').where({ id: send.id }).update({ provider_message_id: sent.providerMessageId });

    const opts = { queues: w.queues, enabled: true };
    await ensureSandboxEventsSchedule(w.temporal.client, opts);
    await ensureSandboxEventsSchedule(w.temporal.client, opts); // start-up again: updated, not doubled
    const handle = w.temporal.client.schedule.getHandle(sandboxEventsScheduleId(w.queues));
    const schedule = await handle.describe();
    expect(schedule.spec.intervals).toMatchObject([{ every: 60_000 }]);
    expect(schedule.action).toMatchObject({
      workflowType: 'ingestSandboxEventsWorkflow',
      taskQueue: w.queues.workflows,
    });
    expect(schedule.policies.overlap).toBe('SKIP');

    await handle.trigger();
    let row: { status: string } | undefined;
    for (let i = 0; i < 100; i++) {
      row = await t.db('sends').where({ id: send.id }).first('status');
      if (row?.status !== 'sent') break;
      await new Promise((r) => setTimeout(r, 200));
    }
    expect(['delivered', 'bounced', 'complained']).toContain(row?.status);
    const receipts = await t.db('webhook_receipts').where({ provider: 'sandbox', send_id: send.id });
    expect(receipts.length).toBeGreaterThan(0);

    await ensureSandboxEventsSchedule(w.temporal.client, { ...opts, enabled: false });
    await expect(handle.describe()).rejects.toBeInstanceOf(ScheduleNotFoundError);
    // Removing it twice is as good as once.
    await ensureSandboxEventsSchedule(w.temporal.client, { ...opts, enabled: false });
  });
});
