import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSandboxProviders } from '../messaging/providers/sandbox.ts';
import { createTestDatabase, type TestDatabase } from '../../platform/testing/database.ts';
import { testLog } from '../../platform/testing/temporal.ts';
import { createSandboxEventActivities } from './sandbox-events.ts';
import { insertCampaign, insertCustomer, insertSend } from './testing.ts';

describe('sandbox events through the webhook ingestion', () => {
  let t: TestDatabase;
  const sentAt = new Date('2026-11-27T12:00:00Z');
  const later = new Date('2026-11-28T12:00:00Z');

  beforeAll(async () => {
    t = await createTestDatabase();
  });
  afterAll(async () => t.drop());

  async function sendOne(simulation: Parameters<typeof createSandboxProviders>[0]['simulation']) {
    const sandbox = createSandboxProviders({ db: t.db, simulation, now: () => sentAt });
    const customer = await insertCustomer(t.db);
    const send = await insertSend(t.db, {
      customerId: customer.id,
      campaignId: await insertCampaign(t.db),
      provider: 'sandbox',
      status: 'sending',
    });
    const [result] = await sandbox.email.send([
      { sendId: send.id, to: customer.email!, subject: 'Hi', html: '<p>Hi</p>', text: 'Hi', headers: {} },
    ]);
    if (!result?.ok) throw new Error('the sandbox refused the message');
    await t
      .db('sends')
      .where({ id: send.id })
      .update({ status: 'sent', provider_message_id: result.providerMessageId });
    return { sandbox, send, customer };
  }

  it('moves the ledger and records analytics exactly as provider webhooks do, and a second run changes nothing', async () => {
    const { sandbox, send } = await sendOne({ bounceRate: 0, openRate: 1, clickRate: 1, complaintRate: 0 });
    const activities = createSandboxEventActivities({ db: t.db, log: testLog, sandbox });
    const window = { after: new Date(sentAt.getTime() - 1).toISOString(), until: later.toISOString() };

    const first = await activities.ingestSandboxEvents(window);
    expect(first).toMatchObject({ events: 3, accepted: 3, duplicates: 0, unmatched: 0 });
    const row = await t.db('sends').where({ id: send.id }).first('status', 'delivered_at', 'opened_at', 'clicked_at');
    expect(row.status).toBe('delivered');
    expect(row.delivered_at.getTime()).toBeLessThan(row.opened_at.getTime());
    expect(row.opened_at.getTime()).toBeLessThan(row.clicked_at.getTime());
    const types = await t.db('analytics_events').where({ send_id: send.id }).orderBy('occurred_at').pluck('type');
    expect(types).toEqual(['delivered', 'opened', 'clicked']);
    expect(await t.db('webhook_receipts').where({ provider: 'sandbox', send_id: send.id }).count({ n: '*' })).toEqual([
      { n: 3 },
    ]);

    expect(await activities.ingestSandboxEvents(window)).toMatchObject({ events: 3, accepted: 0, duplicates: 3 });
    expect(await t.db('analytics_events').where({ send_id: send.id }).count({ n: '*' })).toEqual([{ n: 3 }]);
  });

  it('continues from where the previous run stopped when no window is given', async () => {
    const { sandbox, send } = await sendOne({ bounceRate: 0, openRate: 0, deliveryDelayMs: [1_000, 1_000] });
    let now = new Date(sentAt.getTime() + 500);
    const activities = createSandboxEventActivities({ db: t.db, log: testLog, sandbox, now: () => now });
    await t.db('settings').where({ key: 'webhooks.sandbox_events_until' }).delete();

    expect(await activities.ingestSandboxEvents()).toMatchObject({ until: now.toISOString() });
    expect(await t.db('sends').where({ id: send.id }).first('status')).toEqual({ status: 'sent' });

    const previous = now;
    now = new Date(sentAt.getTime() + 5_000);
    const second = await activities.ingestSandboxEvents();
    expect(second).toMatchObject({ after: previous.toISOString(), until: now.toISOString(), accepted: 1 });
    expect(await t.db('sends').where({ id: send.id }).first('status')).toEqual({ status: 'delivered' });
  });

  it('bounces a simulated message on the ledger without suppressing the real address', async () => {
    const { sandbox, send, customer } = await sendOne({ bounceRate: 1 });
    const activities = createSandboxEventActivities({ db: t.db, log: testLog, sandbox });
    await activities.ingestSandboxEvents({ after: new Date(0).toISOString(), until: later.toISOString() });
    expect(await t.db('sends').where({ id: send.id }).first('status')).toEqual({ status: 'bounced' });
    expect(await t.db('suppressions').where({ address: customer.email })).toEqual([]);
  });

  it('has nothing to do when both channels use real providers', async () => {
    const activities = createSandboxEventActivities({ db: t.db, log: testLog });
    expect(
      await activities.ingestSandboxEvents({ after: new Date(0).toISOString(), until: later.toISOString() }),
    ).toMatchObject({ events: 0 });
  });
});
