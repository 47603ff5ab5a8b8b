import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { engagementEvent, type EngagementEvent } from '../../domain/webhooks/events.ts';
import { createTestDatabase, type TestDatabase } from '../../platform/testing/database.ts';
import { writeEngagementEvents } from './store.ts';
import { insertCampaign, insertCustomer, insertSend, type SendRow } from './testing.ts';

const at = (minute: number) => new Date(Date.UTC(2026, 10, 27, 12, minute));

function mailgun(
  send: Pick<SendRow, 'id'> | null,
  type: EngagementEvent['type'],
  minute: number,
  extra: Partial<EngagementEvent> = {},
) {
  return engagementEvent({
    source: 'mailgun',
    eventKey: randomUUID(),
    type,
    channel: 'email',
    occurredAt: at(minute),
    sendId: send?.id ?? null,
    messageProvider: 'mailgun',
    payload: { event: type },
    ...extra,
  });
}

describe('writing engagement events', () => {
  let t: TestDatabase;
  let campaignId: string;
  let customer: Awaited<ReturnType<typeof insertCustomer>>;
  let send: SendRow;

  const row = () =>
    t
      .db('sends')
      .where({ id: send.id })
      .first('status', 'delivered_at', 'opened_at', 'clicked_at', 'failed_at', 'last_error', 'error_code');

  beforeAll(async () => {
    t = await createTestDatabase();
    campaignId = await insertCampaign(t.db);
  });
  afterAll(async () => t.drop());
  beforeEach(async () => {
    customer = await insertCustomer(t.db, { email: `pat-${randomUUID().slice(0, 6)}@example.com`, phone: null });
    send = await insertSend(t.db, { customerId: customer.id, campaignId });
  });

  it('stores a receipt and an analytics event per event, matched to the send, its customer and campaign', async () => {
    const event = mailgun(send, 'delivered', 1, { properties: { providerEvent: 'delivered' } });
    expect(await writeEngagementEvents(t.db, [event])).toEqual([
      { result: 'accepted', sendId: send.id, unmatched: false },
    ]);
    const receipt = await t.db('webhook_receipts').where({ provider: 'mailgun', event_key: event.eventKey }).first();
    expect(receipt).toMatchObject({ send_id: send.id, event_type: 'delivered', payload: { event: 'delivered' } });
    expect(receipt.processed_at).not.toBeNull();
    const analytics = await t.db('analytics_events').where({ send_id: send.id });
    expect(analytics).toEqual([
      expect.objectContaining({
        type: 'delivered',
        occurred_at: at(1),
        customer_id: customer.id,
        campaign_id: campaignId,
        channel: 'email',
        properties: { provider: 'mailgun', eventKey: event.eventKey, providerEvent: 'delivered' },
      }),
    ]);
    expect(await row()).toMatchObject({ status: 'delivered', delivered_at: at(1) });
  });

  it('matches by the provider message id when the event carries no send id', async () => {
    const sms = await insertSend(t.db, {
      customerId: customer.id,
      channel: 'sms',
      provider: 'twilio',
      providerMessageId: 'SM' + 'a'.repeat(32),
    });
    const event = engagementEvent({
      source: 'twilio',
      eventKey: `${sms.providerMessageId}:delivered`,
      type: 'delivered',
      channel: 'sms',
      occurredAt: at(2),
      providerMessageId: sms.providerMessageId,
      messageProvider: 'twilio',
      payload: {},
    });
    expect(await writeEngagementEvents(t.db, [event])).toEqual([
      { result: 'accepted', sendId: sms.id, unmatched: false },
    ]);
    expect(await t.db('sends').where({ id: sms.id }).first('status')).toEqual({ status: 'delivered' });
  });

  it('acknowledges a retried event as a duplicate and changes nothing, in the same batch or a later one', async () => {
    const opened = mailgun(send, 'opened', 5);
    const [first, copyInBatch] = await writeEngagementEvents(t.db, [opened, { ...opened, occurredAt: at(1) }]);
    expect(first!.result).toBe('accepted');
    expect(copyInBatch).toEqual({ result: 'duplicate', sendId: send.id, unmatched: false });
    const before = await row();
    expect(await writeEngagementEvents(t.db, [{ ...opened, occurredAt: at(2) }])).toEqual([
      { result: 'duplicate', sendId: send.id, unmatched: false },
    ]);
    expect(await row()).toEqual(before);
    expect(before.opened_at).toEqual(at(5));
    expect(await t.db('analytics_events').where({ send_id: send.id }).count({ n: '*' })).toEqual([{ n: 1 }]);
    expect(await t.db('webhook_receipts').where({ event_key: opened.eventKey }).count({ n: '*' })).toEqual([{ n: 1 }]);
  });

  it('leaves a row delivered and opened when the open arrives first, across batches', async () => {
    await writeEngagementEvents(t.db, [mailgun(send, 'opened', 10)]);
    await writeEngagementEvents(t.db, [mailgun(send, 'delivered', 2)]);
    expect(await row()).toMatchObject({ status: 'delivered', delivered_at: at(2), opened_at: at(10) });
  });

  it('moves updated_at with the status only, so that an open or a click can be written in place', async () => {
    const updatedAt = async () => ((await t.db('sends').where({ id: send.id }).first('updated_at')) as any).updated_at;
    await t
      .db('sends')
      .where({ id: send.id })
      .update({ updated_at: at(0) });
    await writeEngagementEvents(t.db, [mailgun(send, 'delivered', 1)]);
    const delivered: Date = await updatedAt();
    expect(delivered.getTime()).toBeGreaterThan(at(0).getTime());
    await writeEngagementEvents(t.db, [mailgun(send, 'opened', 3)]);
    await writeEngagementEvents(t.db, [mailgun(send, 'clicked', 4)]);
    expect(await row()).toMatchObject({ status: 'delivered', opened_at: at(3), clicked_at: at(4) });
    expect(await updatedAt()).toEqual(delivered);
  });

  it('leaves the row untouched by events that move nothing: a second open, a late delivery report', async () => {
    await writeEngagementEvents(t.db, [mailgun(send, 'opened', 10)]);
    const before = await t.db('sends').where({ id: send.id }).first();
    await writeEngagementEvents(t.db, [mailgun(send, 'opened', 20), mailgun(send, 'delivered', 15)]);
    expect(await t.db('sends').where({ id: send.id }).first()).toEqual(before);
    expect(await t.db('analytics_events').where({ send_id: send.id }).count({ n: '*' })).toEqual([{ n: 3 }]);
  });

  it('never lets a late delivery overwrite a bounce, and keeps the bounce reason', async () => {
    await writeEngagementEvents(t.db, [
      mailgun(send, 'bounced', 3, {
        address: customer.email,
        properties: { errorCode: '550', errorMessage: 'No such mailbox' },
      }),
    ]);
    await writeEngagementEvents(t.db, [mailgun(send, 'delivered', 1)]);
    expect(await row()).toMatchObject({
      status: 'bounced',
      failed_at: at(3),
      error_code: '550',
      last_error: 'No such mailbox',
      delivered_at: at(1),
    });
    expect(
      await t.db('suppressions').where({ address: customer.email }).select('channel', 'reason', 'customer_id'),
    ).toEqual([{ channel: 'email', reason: 'hard_bounce', customer_id: customer.id }]);
  });

  it('ends the same when two batches about one send are written at the same time', async () => {
    const a = [mailgun(send, 'clicked', 12), mailgun(send, 'delivered', 2)];
    const b = [mailgun(send, 'opened', 10), mailgun(send, 'complained', 30)];
    await Promise.all([writeEngagementEvents(t.db, a), writeEngagementEvents(t.db, b)]);
    expect(await row()).toMatchObject({
      status: 'complained',
      delivered_at: at(2),
      opened_at: at(10),
      clicked_at: at(12),
    });
    expect(await t.db('analytics_events').where({ send_id: send.id }).count({ n: '*' })).toEqual([{ n: 4 }]);
  });

  it('stores events with unknown ids with a null send id, and says they matched nothing', async () => {
    const unknownSend = mailgun({ id: randomUUID() }, 'delivered', 1);
    const unknownMessage = engagementEvent({
      source: 'twilio',
      eventKey: 'SMffffffffffffffffffffffffffffffff:delivered',
      type: 'delivered',
      channel: 'sms',
      occurredAt: at(1),
      providerMessageId: 'SMffffffffffffffffffffffffffffffff',
      messageProvider: 'twilio',
      payload: { MessageSid: 'SMffffffffffffffffffffffffffffffff' },
    });
    const outcomes = await writeEngagementEvents(t.db, [unknownSend, unknownMessage]);
    expect(outcomes).toEqual([
      { result: 'accepted', sendId: null, unmatched: true },
      { result: 'accepted', sendId: null, unmatched: true },
    ]);
    const receipts = await t
      .db('webhook_receipts')
      .whereIn('event_key', [unknownSend.eventKey, unknownMessage.eventKey])
      .select('send_id');
    expect(receipts).toEqual([{ send_id: null }, { send_id: null }]);
    const analytics = await t
      .db('analytics_events')
      .whereRaw(`properties->>'eventKey' in (?, ?)`, [unknownSend.eventKey, unknownMessage.eventKey])
      .select('send_id', 'properties');
    expect(analytics).toHaveLength(2);
    for (const a of analytics) expect(a).toMatchObject({ send_id: null, properties: { unmatched: true } });
  });

  it('refuses a replayed signature token, in a later batch or the same one, and writes nothing for it', async () => {
    const guard = { token: randomUUID(), expiresAt: new Date(Date.now() + 300_000) };
    const first = mailgun(send, 'delivered', 1, { replayGuard: guard });
    const replayInBatch = mailgun(send, 'opened', 2, { replayGuard: guard });
    expect((await writeEngagementEvents(t.db, [first, replayInBatch])).map((o) => o.result)).toEqual([
      'accepted',
      'replayed',
    ]);
    const replayLater = mailgun(send, 'clicked', 3, { replayGuard: guard });
    expect(await writeEngagementEvents(t.db, [replayLater])).toEqual([
      { result: 'replayed', sendId: null, unmatched: false },
    ]);
    expect(await t.db('webhook_receipts').whereIn('event_key', [replayInBatch.eventKey, replayLater.eventKey])).toEqual(
      [],
    );
    expect(await row()).toMatchObject({ status: 'delivered', opened_at: null, clicked_at: null });
  });

  it('turns an e-mail unsubscribe into an opt-out and a suppression, once', async () => {
    const unsubscribed = mailgun(send, 'unsubscribed', 4, { address: customer.email });
    await writeEngagementEvents(t.db, [unsubscribed, mailgun(send, 'unsubscribed', 5, { address: customer.email })]);
    expect(await t.db('consents').where({ customer_id: customer.id }).select('channel', 'status', 'source')).toEqual([
      { channel: 'email', status: 'opted_out', source: 'mailgun_unsubscribe' },
    ]);
    expect(await t.db('suppressions').where({ address: customer.email }).select('reason', 'source')).toEqual([
      { reason: 'unsubscribe', source: 'mailgun_webhook' },
    ]);
  });

  it('never suppresses a real address for a simulated bounce', async () => {
    await writeEngagementEvents(t.db, [
      mailgun(send, 'bounced', 1, { source: 'sandbox', simulated: true, address: customer.email }),
    ]);
    expect(await row()).toMatchObject({ status: 'bounced' });
    expect(await t.db('suppressions').where({ address: customer.email })).toEqual([]);
  });

  it('stores a payload with NUL characters or unpaired surrogates rather than failing the batch', async () => {
    const payload = {
      note: 'a\u0000b',
      'k\u0000': ['\\u0000'],
      high: 'x\uD800y',
      low: '\uDC00',
      pair: '🍾',
      escapedText: '\\ud800',
    };
    const event = mailgun(send, 'delivered', 1, { payload });
    const other = mailgun(send, 'opened', 2);
    expect((await writeEngagementEvents(t.db, [event, other])).map((o) => o.result)).toEqual(['accepted', 'accepted']);
    const receipt = await t.db('webhook_receipts').where({ event_key: event.eventKey }).first('payload');
    expect(receipt.payload).toEqual({
      note: 'a\uFFFDb',
      'k\uFFFD': ['\\u0000'],
      high: 'x\uFFFDy',
      low: '\uFFFD',
      pair: '🍾',
      escapedText: '\\ud800',
    });
  });
});
