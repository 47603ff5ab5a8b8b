import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import twilio from 'twilio';
import { insertCustomer, insertSend, type SendRow } from '../../activities/webhooks/testing.ts';
import { OPT_IN_KEYWORDS, OPT_OUT_KEYWORDS } from '../../domain/webhooks/keywords.ts';
import { startTestApi, type TestApi } from '../../platform/testing/api.ts';
import { createTestDatabase, type TestDatabase } from '../../platform/testing/database.ts';
import { twilioSid } from '../../platform/testing/webhooks.ts';

const AUTH_TOKEN = 'twilio-auth-token-for-tests-0123456789';
// Behind a proxy: Twilio posts to (and signs) the public URL, not the address the API listens on.
const PUBLIC_URL = 'https://marketing.bottle-shop.example';
const STORE = `Bob's Bottle Shop`;
const EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response></Response>';

describe('Twilio webhooks', () => {
  let t: TestDatabase;
  let api: TestApi;
  let customer: Awaited<ReturnType<typeof insertCustomer>>;
  let send: SendRow;
  let phoneCounter = 0;

  const nextPhone = () => `+1555${String(1_000_000 + ++phoneCounter).slice(1)}`;
  const sign = (path: string, params: Record<string, string>, base = PUBLIC_URL, token = AUTH_TOKEN) =>
    twilio.getExpectedTwilioSignature(token, `${base}${path}`, params);
  const post = (path: string, params: Record<string, string>, signature: string | null = sign(path, params)) =>
    fetch(`${api.url}${path}`, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        ...(signature === null ? {} : { 'x-twilio-signature': signature }),
      },
      body: new URLSearchParams(params).toString(),
    });
  const status = (MessageStatus: string, extra: Record<string, string> = {}) =>
    post('/api/webhooks/twilio/status', {
      MessageSid: send.providerMessageId,
      MessageStatus,
      AccountSid: 'AC' + '0'.repeat(32),
      To: customer.phone!,
      From: '+15555550100',
      ...extra,
    });
  const inbound = (Body: string, From = customer.phone!) =>
    post('/api/webhooks/twilio/inbound', {
      MessageSid: twilioSid(),
      AccountSid: 'AC' + '0'.repeat(32),
      From,
      To: '+15555550100',
      Body,
      NumMedia: '0',
    });

  const row = () => t.db('sends').where({ id: send.id }).first('status', 'delivered_at', 'failed_at', 'error_code');
  const consents = (customerId = customer.id) =>
    t.db('consents').where({ customer_id: customerId }).orderBy('recorded_at').select('channel', 'status', 'source');
  const suppressions = (address = customer.phone!) =>
    t
      .db('suppressions')
      .where({ address })
      .orderBy('created_at')
      .select('channel', 'reason', 'lifted_at', 'customer_id');
  async function counts() {
    const out: Record<string, number> = {};
    for (const table of ['webhook_receipts', 'analytics_events', 'suppressions', 'consents']) {
      out[table] = Number((await t.db(table).count({ n: '*' }))[0]!.n);
    }
    return out;
  }

  beforeAll(async () => {
    t = await createTestDatabase();
    api = await startTestApi(t.db, {
      env: {
        PUBLIC_URL,
        STORE_NAME: STORE,
        TWILIO_AUTH_TOKEN: AUTH_TOKEN,
        TWILIO_ACCOUNT_SID: 'AC' + '0'.repeat(32),
        TWILIO_FROM_NUMBER: '+15555550100',
      },
    });
  });
  afterAll(async () => {
    await api.close();
    await t.drop();
  });
  beforeEach(async () => {
    customer = await insertCustomer(t.db, { phone: nextPhone() });
    await t.db('consents').insert({ customer_id: customer.id, channel: 'sms', status: 'opted_in', source: 'import' });
    send = await insertSend(t.db, {
      customerId: customer.id,
      channel: 'sms',
      provider: 'twilio',
      providerMessageId: twilioSid(),
    });
  });

  describe('signatures', () => {
    it('accepts a request signed for the public URL', async () => {
      const res = await status('delivered');
      expect(res.status).toBe(200);
      expect((await row()).status).toBe('delivered');
    });

    it('refuses a signature made for the address the API listens on, as a proxy would forward it', async () => {
      const before = await counts();
      const params = { MessageSid: send.providerMessageId, MessageStatus: 'delivered' };
      const path = '/api/webhooks/twilio/status';
      expect((await post(path, params, sign(path, params, api.url))).status).toBe(401);
      expect(await counts()).toEqual(before);
    });

    it('refuses a missing signature, another account’s token and an edited parameter, writing nothing', async () => {
      const before = await counts();
      const path = '/api/webhooks/twilio/status';
      const params = { MessageSid: send.providerMessageId, MessageStatus: 'delivered' };
      expect((await post(path, params, null)).status).toBe(401);
      expect((await post(path, params, sign(path, params, PUBLIC_URL, 'another-token'))).status).toBe(401);
      const signature = sign(path, params);
      expect((await post(path, { ...params, MessageStatus: 'failed' }, signature)).status).toBe(401);
      expect((await post('/api/webhooks/twilio/inbound', params, signature)).status).toBe(401);
      expect(await counts()).toEqual(before);
      expect((await row()).status).toBe('sent');
    });

    it('refuses everything with 401 while no auth token is configured', async () => {
      const unconfigured = await startTestApi(t.db, { env: { PUBLIC_URL } });
      try {
        const path = '/api/webhooks/twilio/inbound';
        const params = { MessageSid: twilioSid(), From: customer.phone!, Body: 'STOP' };
        const res = await fetch(`${unconfigured.url}${path}`, {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-twilio-signature': sign(path, params) },
          body: new URLSearchParams(params).toString(),
        });
        expect(res.status).toBe(401);
        expect(await consents()).toEqual([{ channel: 'sms', status: 'opted_in', source: 'import' }]);
      } finally {
        await unconfigured.close();
      }
    });

    it('answers 400 to a verified request that is not a status callback, and 413 to an oversized body', async () => {
      const before = await counts();
      expect((await post('/api/webhooks/twilio/status', { MessageStatus: 'delivered' })).status).toBe(400);
      expect((await post('/api/webhooks/twilio/inbound', { MessageSid: twilioSid(), Body: 'STOP' })).status).toBe(400);
      expect(
        (
          await post('/api/webhooks/twilio/inbound', {
            MessageSid: twilioSid(),
            From: customer.phone!,
            Body: 'x'.repeat(70_000),
          })
        ).status,
      ).toBe(413);
      expect(await counts()).toEqual(before);
    });
  });

  describe('status callbacks', () => {
    it('moves the ledger row forward only: a late "sent" does not undo "delivered"', async () => {
      expect((await status('queued')).status).toBe(200);
      expect((await row()).status).toBe('sent');
      await status('delivered');
      await status('sent');
      expect(await row()).toMatchObject({ status: 'delivered' });
      const types = await t.db('analytics_events').where({ send_id: send.id }).pluck('type');
      expect(types.sort()).toEqual(['delivered', 'queued', 'sent']);
    });

    it('marks an undelivered message failed with its error code', async () => {
      await status('undelivered', { ErrorCode: '30003' });
      expect(await row()).toMatchObject({ status: 'failed', error_code: '30003' });
      expect((await row()).failed_at).not.toBeNull();
    });

    it('suppresses the number when Twilio says it opted out (21610)', async () => {
      await status('failed', { ErrorCode: '21610' });
      expect(await suppressions()).toEqual([expect.objectContaining({ reason: 'sms_stop', customer_id: customer.id })]);
    });

    it('acknowledges a repeated callback and changes nothing', async () => {
      await status('delivered');
      const before = await counts();
      const res = await status('delivered');
      expect(res.status).toBe(200);
      expect(await counts()).toEqual(before);
    });

    it('stores a callback for a message we do not know, with no send', async () => {
      const sid = twilioSid();
      const res = await post('/api/webhooks/twilio/status', { MessageSid: sid, MessageStatus: 'delivered' });
      expect(res.status).toBe(200);
      expect(
        await t
          .db('webhook_receipts')
          .where({ event_key: `${sid}:delivered` })
          .first('send_id'),
      ).toEqual({
        send_id: null,
      });
    });
  });

  describe('inbound texts', () => {
    it.each(OPT_OUT_KEYWORDS.flatMap((k) => [k, ` ${k.toLowerCase()}\n`]))(
      '%j opts the number out of texts',
      async (body) => {
        const res = await inbound(body);
        expect(res.status).toBe(200);
        expect(res.headers.get('content-type')).toMatch(/^text\/xml/);
        expect(await res.text()).toBe(EMPTY_TWIML);
        expect(await consents()).toEqual([
          { channel: 'sms', status: 'opted_in', source: 'import' },
          { channel: 'sms', status: 'opted_out', source: 'sms_stop' },
        ]);
        expect(await suppressions()).toEqual([
          { channel: 'sms', reason: 'sms_stop', lifted_at: null, customer_id: customer.id },
        ]);
      },
    );

    it.each(OPT_IN_KEYWORDS.flatMap((k) => [k, `  ${k[0]}${k.slice(1).toLowerCase()} `]))(
      '%j opts a stopped number back in and lifts the STOP',
      async (body) => {
        expect((await inbound('STOP')).status).toBe(200);
        const res = await inbound(body);
        expect(res.status).toBe(200);
        expect(await res.text()).toBe(EMPTY_TWIML);
        expect((await consents()).map((c) => `${c.status}/${c.source}`)).toEqual([
          'opted_in/import',
          'opted_out/sms_stop',
          'opted_in/sms_start',
        ]);
        const [suppression] = await suppressions();
        expect(suppression).toMatchObject({ reason: 'sms_stop' });
        expect(suppression!.lifted_at).not.toBeNull();
      },
    );

    it.each(['HELP', 'help', ' Help\n'])('%j gets the help reply and changes no consent', async (body) => {
      const res = await inbound(body);
      expect(res.status).toBe(200);
      const twiml = await res.text();
      expect(twiml).toContain('<Response><Message>');
      expect(twiml).toContain('Bob&apos;s Bottle Shop');
      expect(twiml).toContain('Reply STOP to opt out');
      expect(await consents()).toEqual([{ channel: 'sms', status: 'opted_in', source: 'import' }]);
    });

    it('stores any other text for the store, linked to the customer, and answers with empty TwiML', async () => {
      const res = await inbound('Do you have Blanton’s in stock?');
      expect(await res.text()).toBe(EMPTY_TWIML);
      const event = await t.db('analytics_events').where({ customer_id: customer.id, type: 'inbound' }).first();
      expect(event).toMatchObject({ channel: 'sms', send_id: null, properties: { provider: 'twilio' } });
      expect(event.properties.keyword).toBeUndefined();
      const receipt = await t.db('webhook_receipts').where({ event_key: event.properties.eventKey }).first('payload');
      expect(receipt.payload.Body).toBe('Do you have Blanton’s in stock?');
      expect(await consents()).toHaveLength(1);
    });

    it('stores a text holding a NUL with U+FFFD in its place rather than refusing it', async () => {
      const res = await inbound('Blanton\u0000s?');
      expect(res.status).toBe(200);
      const event = await t.db('analytics_events').where({ customer_id: customer.id, type: 'inbound' }).first();
      const receipt = await t.db('webhook_receipts').where({ event_key: event.properties.eventKey }).first('payload');
      expect(receipt.payload.Body).toBe('Blanton\uFFFDs?');
    });

    it('suppresses a number that texts STOP even when no customer has it', async () => {
      const stranger = nextPhone();
      expect((await inbound('stop', stranger)).status).toBe(200);
      expect(await suppressions(stranger)).toEqual([
        { channel: 'sms', reason: 'sms_stop', lifted_at: null, customer_id: null },
      ]);
    });

    it('acts on a retried STOP once', async () => {
      const params = { MessageSid: twilioSid(), From: customer.phone!, To: '+15555550100', Body: 'STOP' };
      expect((await post('/api/webhooks/twilio/inbound', params)).status).toBe(200);
      expect((await post('/api/webhooks/twilio/inbound', params)).status).toBe(200);
      expect(await consents()).toHaveLength(2);
      expect(await t.db('webhook_receipts').where({ event_key: params.MessageSid }).count({ n: '*' })).toEqual([
        { n: 1 },
      ]);
    });
  });
});
