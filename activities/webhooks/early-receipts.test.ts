import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { twilioStatusEvent } from '../../domain/webhooks/twilio.ts';
import { createTestDatabase, type TestDatabase } from '../../platform/testing/database.ts';
import { matchEarlyReceiptsOfCampaign, matchEarlyTwilioReceipts } from './early-receipts.ts';
import { writeEngagementEvents } from './store.ts';
import { insertCampaign, insertCustomer, insertSend } from './testing.ts';

const callback = (sid: string, status: string, extra: Record<string, string> = {}) => {
  const body = { MessageSid: sid, MessageStatus: status, To: '+13125550100', AccountSid: 'AC123', ...extra };
  return twilioStatusEvent(body, body, new Date());
};

describe('Twilio status callbacks that arrive before the send records its MessageSid', () => {
  let t: TestDatabase;
  let campaignId: string;

  beforeAll(async () => {
    t = await createTestDatabase();
    campaignId = await insertCampaign(t.db);
  });
  afterAll(async () => t.drop());

  /** A send whose provider call is still in flight: no MessageSid recorded yet. */
  async function inFlight(sid: string) {
    const customer = await insertCustomer(t.db, { phone: '+13125550100' });
    const send = await insertSend(t.db, { customerId: customer.id, campaignId, channel: 'sms', status: 'sending' });
    await t.db('sends').where({ id: send.id }).update({ provider_message_id: null });
    const record = () =>
      t
        .db('sends')
        .where({ id: send.id })
        .update({
          status: t.db.raw(`case when status = 'sending' then 'sent' else status end`),
          provider_message_id: sid,
        });
    return { send, customer, record };
  }

  it('are kept unmatched, then matched to the send once it records the id, moving the ledger forward', async () => {
    const sid = 'SM00000000000000000000000000000001';
    const { send, customer, record } = await inFlight(sid);
    const outcomes = await writeEngagementEvents(t.db, [callback(sid, 'sent'), callback(sid, 'delivered')]);
    expect(outcomes.map((o) => o.unmatched)).toEqual([true, true]);

    await record();
    expect(await matchEarlyTwilioReceipts(t.db, [sid])).toBe(2);

    const row = await t.db('sends').where({ id: send.id }).first('status', 'delivered_at');
    expect(row.status).toBe('delivered');
    expect(row.delivered_at).not.toBeNull();
    expect(await t.db('webhook_receipts').where({ provider: 'twilio', send_id: send.id }).count({ n: '*' })).toEqual([
      { n: 2 },
    ]);
    const analytics = await t.db('analytics_events').whereRaw(`properties->>'providerMessageId' = ?`, [sid]);
    expect(analytics).toHaveLength(2);
    for (const a of analytics) {
      expect(a).toMatchObject({ send_id: send.id, campaign_id: campaignId, customer_id: customer.id });
      expect(a.properties.unmatched).toBeUndefined();
    }

    // Matching again finds nothing left, and a later callback is matched directly by ingestion.
    expect(await matchEarlyTwilioReceipts(t.db, [sid])).toBe(0);
    expect(await writeEngagementEvents(t.db, [callback(sid, 'delivered')])).toEqual([
      { result: 'duplicate', sendId: send.id, unmatched: false },
    ]);
  });

  it('keep the failure reason of an early `undelivered`, and never move a row back', async () => {
    const sid = 'SM00000000000000000000000000000002';
    const { send, record } = await inFlight(sid);
    await writeEngagementEvents(t.db, [
      callback(sid, 'undelivered', { ErrorCode: '30003', ErrorMessage: 'Unreachable destination handset' }),
      callback(sid, 'sent'),
    ]);
    await record();
    expect(await matchEarlyTwilioReceipts(t.db, [sid])).toBe(2);
    expect(await t.db('sends').where({ id: send.id }).first('status', 'error_code', 'failed_at')).toMatchObject({
      status: 'failed',
      error_code: '30003',
      failed_at: expect.any(Date),
    });
  });

  it('are swept up per campaign, for a callback that committed just after the send looked', async () => {
    const sid = 'SM00000000000000000000000000000003';
    const { send, record } = await inFlight(sid);
    await record();
    // The send looked (nothing yet); the callback's batch matched nothing because it started earlier.
    await t.db('sends').where({ id: send.id }).update({ provider_message_id: null });
    await writeEngagementEvents(t.db, [callback(sid, 'delivered')]);
    await t.db('sends').where({ id: send.id }).update({ provider_message_id: sid });

    expect(await matchEarlyReceiptsOfCampaign(t.db, campaignId)).toBe(1);
    expect(await t.db('sends').where({ id: send.id }).first('status')).toEqual({ status: 'delivered' });
    expect(await matchEarlyReceiptsOfCampaign(t.db, campaignId)).toBe(0);
  });

  it('leave inbound texts and other messages alone', async () => {
    const other = 'SM00000000000000000000000000000004';
    await writeEngagementEvents(t.db, [callback(other, 'delivered')]);
    expect(await matchEarlyTwilioReceipts(t.db, ['SM0000000000000000000000000000dead'])).toBe(0);
    expect(await t.db('webhook_receipts').whereRaw(`payload->>'MessageSid' = ?`, [other]).first('send_id')).toEqual({
      send_id: null,
    });
  });
});
