import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { BufferFullError, noEventsYet, type EngagementIngestion } from '../../activities/webhooks/ingestion.ts';
import { insertCampaign, insertCustomer, insertSend, type SendRow } from '../../activities/webhooks/testing.ts';
import { clickLinkKey, signClickToken } from '../../domain/messaging/click-token.ts';
import { startTestApi, type TestApi } from '../../platform/testing/api.ts';
import { createTestDatabase, type TestDatabase } from '../../platform/testing/database.ts';
import { testLog } from '../../platform/testing/temporal.ts';
import { startWebhookApi } from '../../platform/testing/webhook-api.ts';
import { mailgunEventData, signedMailgunBody, type MailgunEventFields } from '../../platform/testing/webhooks.ts';

const KEY = 'mailgun-webhook-signing-key-for-tests';

describe('POST /api/webhooks/mailgun', () => {
  let t: TestDatabase;
  let api: TestApi;
  let campaignId: string;
  let customer: Awaited<ReturnType<typeof insertCustomer>>;
  let send: SendRow;

  const post = (body: unknown, headers: Record<string, string> = {}) =>
    fetch(`${api.url}/api/webhooks/mailgun`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    });
  const event = (fields: Partial<MailgunEventFields> & Pick<MailgunEventFields, 'event'>) =>
    mailgunEventData({ sendId: send.id, messageId: send.providerMessageId, recipient: customer.email!, ...fields });
  const signed = (data: Record<string, unknown>, o: { timestamp?: number; signingKey?: string } = {}) =>
    signedMailgunBody(data, { signingKey: o.signingKey ?? KEY, timestamp: o.timestamp });

  const row = () =>
    t.db('sends').where({ id: send.id }).first('status', 'delivered_at', 'opened_at', 'clicked_at', 'failed_at');
  /** Every table a webhook may write to. */
  async function written() {
    const counts: Record<string, number> = {};
    for (const table of ['webhook_receipts', 'webhook_tokens', 'analytics_events', 'suppressions', 'consents']) {
      counts[table] = Number((await t.db(table).count({ n: '*' }))[0]!.n);
    }
    return { counts, row: await row() };
  }

  beforeAll(async () => {
    t = await createTestDatabase();
    api = await startTestApi(t.db, { env: { MAILGUN_WEBHOOK_SIGNING_KEY: KEY } });
    campaignId = await insertCampaign(t.db);
  });
  afterAll(async () => {
    await api.close();
    await t.drop();
  });
  beforeEach(async () => {
    customer = await insertCustomer(t.db);
    send = await insertSend(t.db, { customerId: customer.id, campaignId });
  });

  it('acknowledges a signed event once its receipt, ledger change and analytics event are committed', async () => {
    const data = event({ event: 'delivered', timestamp: 1_790_000_000 });
    const res = await post(signed(data));
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ result: 'accepted' });
    // No waiting: the answer came after the commit.
    expect(await t.db('webhook_receipts').where({ provider: 'mailgun', event_key: data.id }).first('send_id')).toEqual({
      send_id: send.id,
    });
    expect(await row()).toMatchObject({ status: 'delivered', delivered_at: new Date(1_790_000_000_000) });
    expect(
      await t.db('analytics_events').where({ send_id: send.id }).first('type', 'customer_id', 'campaign_id'),
    ).toEqual({ type: 'delivered', customer_id: customer.id, campaign_id: campaignId });
  });

  it('refuses a forged or tampered signature with 401 and writes nothing', async () => {
    const before = await written();
    const forged = signed(event({ event: 'delivered' }), { signingKey: 'not-our-key' });
    expect((await post(forged)).status).toBe(401);
    const genuine = signed(event({ event: 'delivered' }));
    const edited = {
      ...genuine,
      signature: { ...genuine.signature, token: genuine.signature.token.replace(/^./, 'x') },
    };
    const res = await post(edited);
    expect(res.status).toBe(401);
    expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(await written()).toEqual(before);
  });

  it('refuses a stale or far-future timestamp with 401 and writes nothing', async () => {
    const before = await written();
    const now = Date.now() / 1000;
    expect((await post(signed(event({ event: 'delivered' }), { timestamp: now - 6 * 60 }))).status).toBe(401);
    expect((await post(signed(event({ event: 'delivered' }), { timestamp: now + 6 * 60 }))).status).toBe(401);
    expect(await written()).toEqual(before);
  });

  it('refuses a replayed request (the same signature token) with 406 and writes nothing more', async () => {
    const body = signed(event({ event: 'delivered' }));
    expect((await post(body)).status).toBe(200);
    const after = await written();
    const replay = await post(body);
    expect(replay.status).toBe(406);
    // The token is spent even when the event in the replay is a different one.
    const swapped = { ...body, 'event-data': event({ event: 'clicked', url: 'https://shop.example/' }) };
    expect((await post(swapped)).status).toBe(406);
    expect(await written()).toEqual(after);
  });

  it("acknowledges a provider's retry of the same event (freshly signed) as a duplicate that changes nothing", async () => {
    const data = event({ event: 'opened' });
    expect(await (await post(signed(data))).json()).toEqual({ result: 'accepted' });
    const after = await written();
    const retry = await post(signed(data));
    expect(retry.status).toBe(200);
    expect(await retry.json()).toEqual({ result: 'duplicate' });
    const now = await written();
    // Only the retry's own signature token is new.
    expect(now).toEqual({ ...after, counts: { ...after.counts, webhook_tokens: after.counts.webhook_tokens! + 1 } });
  });

  it('leaves the row delivered and opened when the open arrives before the delivery', async () => {
    const t0 = Math.floor(Date.now() / 1000) - 60;
    expect((await post(signed(event({ event: 'opened', timestamp: t0 + 30 })))).status).toBe(200);
    expect((await post(signed(event({ event: 'delivered', timestamp: t0 })))).status).toBe(200);
    expect(await row()).toMatchObject({
      status: 'delivered',
      delivered_at: new Date(t0 * 1000),
      opened_at: new Date((t0 + 30) * 1000),
    });
  });

  it('stores events for messages we do not know, with no send, and acknowledges them', async () => {
    const data = mailgunEventData({ event: 'delivered', sendId: randomUUID(), messageId: 'unknown@mg.store.example' });
    const res = await post(signed(data));
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ result: 'accepted' });
    expect(await t.db('webhook_receipts').where({ event_key: data.id }).first('send_id', 'event_type')).toEqual({
      send_id: null,
      event_type: 'delivered',
    });
    const analytics = await t
      .db('analytics_events')
      .whereRaw(`properties->>'eventKey' = ?`, [String(data.id)])
      .first();
    expect(analytics).toMatchObject({ send_id: null, properties: { unmatched: true } });
  });

  it('turns a permanent failure into a bounce with a hard-bounce suppression, and only records a temporary one', async () => {
    const temporary = event({ event: 'failed', severity: 'temporary', reason: 'generic' });
    expect((await post(signed(temporary))).status).toBe(200);
    expect(await row()).toMatchObject({ status: 'sent', failed_at: null });
    expect(await t.db('analytics_events').where({ send_id: send.id }).pluck('type')).toEqual(['deferred']);
    expect(await t.db('suppressions').where({ address: customer.email })).toEqual([]);

    const permanent = event({
      event: 'failed',
      severity: 'permanent',
      reason: 'bounce',
      deliveryStatus: { code: 550, description: '5.1.1 The email account does not exist' },
    });
    expect((await post(signed(permanent))).status).toBe(200);
    expect(await t.db('sends').where({ id: send.id }).first('status', 'error_code', 'last_error')).toEqual({
      status: 'bounced',
      error_code: '550',
      last_error: '5.1.1 The email account does not exist',
    });
    expect(await t.db('suppressions').where({ address: customer.email }).select('channel', 'reason')).toEqual([
      { channel: 'email', reason: 'hard_bounce' },
    ]);
  });

  it('records an unsubscribe as an e-mail opt-out with a suppression', async () => {
    expect((await post(signed(event({ event: 'unsubscribed' })))).status).toBe(200);
    expect(await t.db('consents').where({ customer_id: customer.id }).select('channel', 'status', 'source')).toEqual([
      { channel: 'email', status: 'opted_out', source: 'mailgun_unsubscribe' },
    ]);
    expect(await t.db('suppressions').where({ address: customer.email }).pluck('reason')).toEqual(['unsubscribe']);
  });

  it('marks a complaint on the row and suppresses the address', async () => {
    expect((await post(signed(event({ event: 'complained' })))).status).toBe(200);
    expect((await row()).status).toBe('complained');
    expect(await t.db('suppressions').where({ address: customer.email }).pluck('reason')).toEqual(['complaint']);
  });

  it('answers 400 to malformed bodies and writes nothing', async () => {
    const before = await written();
    const good = signed(event({ event: 'delivered' }));
    const { id: _id, ...withoutId } = event({ event: 'delivered' });
    for (const [body, headers] of [
      ['{"signature": ', {}],
      [{}, {}],
      [{ 'event-data': good['event-data'] }, {}],
      [{ ...good, signature: { ...good.signature, signature: 'zz' } }, {}],
      // Verified, but the event data is not an event.
      [signed(withoutId), {}],
      [signed({ ...event({ event: 'delivered' }), timestamp: 'yesterday' }), {}],
      [signed({ ...event({ event: 'delivered' }), timestamp: 1e13 }), {}],
      [new URLSearchParams({ signature: 'x' }).toString(), { 'content-type': 'application/x-www-form-urlencoded' }],
    ] as const) {
      const res = await post(body, headers);
      expect(res.status, JSON.stringify(body).slice(0, 60)).toBe(400);
      expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    }
    expect(await written()).toEqual(before);
  });

  it('stores a signed event holding text PostgreSQL cannot (a NUL, unpaired surrogates) with U+FFFD in its place', async () => {
    // Valid JSON that a provider could send: refusing it would only make the provider retry it until it gives up.
    const data: Record<string, unknown> = {
      ...event({ event: 'failed', severity: 'permanent' }),
      reason: 'mailbox\u0000full \uD83E',
    };
    const res = await post(signed({ ...data, 'client-info': { ['device\uDC00']: 'phone' } }));
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ result: 'accepted' });
    const receipt = await t.db('webhook_receipts').where({ provider: 'mailgun', event_key: data.id }).first('payload');
    expect(receipt.payload).toMatchObject({
      reason: 'mailbox\uFFFDfull \uFFFD',
      'client-info': { 'device\uFFFD': 'phone' },
    });
    expect(await row()).toMatchObject({ status: 'bounced' });
  });

  it('answers 413 to a body over 64 kB', async () => {
    const before = await written();
    const huge = signed({ ...event({ event: 'delivered' }), padding: 'x'.repeat(70_000) });
    expect((await post(huge)).status).toBe(413);
    expect(await written()).toEqual(before);
  });

  it('refuses every request with 401 while no signing key is configured', async () => {
    const unconfigured = await startTestApi(t.db);
    try {
      const before = await written();
      const res = await fetch(`${unconfigured.url}/api/webhooks/mailgun`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(signed(event({ event: 'delivered' }))),
      });
      expect(res.status).toBe(401);
      expect(((await res.json()) as { detail: string }).detail).toMatch(/MAILGUN_WEBHOOK_SIGNING_KEY/);
      expect(await written()).toEqual(before);
    } finally {
      await unconfigured.close();
    }
  });
});

describe('webhooks when events cannot be taken in', () => {
  let t: TestDatabase;
  let server: Awaited<ReturnType<typeof startWebhookApi>>;
  const full: EngagementIngestion = {
    ingest: async () => {
      throw new BufferFullError('10000 items are already waiting to be written');
    },
    ingestAll: async () => [],
    flush: async () => {},
    close: async () => {},
    stats: noEventsYet,
  };

  beforeAll(async () => {
    t = await createTestDatabase();
    server = await startWebhookApi(t.db, {
      log: testLog,
      env: { MAILGUN_WEBHOOK_SIGNING_KEY: KEY, UNSUBSCRIBE_SECRET: 'unsubscribe-secret-for-tests-0123456789abcdef' },
      engagement: full,
    });
  });
  afterAll(async () => {
    await server.close();
    await t.drop();
  });

  it('answers 503 with Retry-After, so that the provider retries, when the buffer is full', async () => {
    const res = await fetch(`${server.url}/api/webhooks/mailgun`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(signedMailgunBody(mailgunEventData({ event: 'delivered' }), { signingKey: KEY })),
    });
    expect(res.status).toBe(503);
    expect(res.headers.get('retry-after')).toBe('1');
  });

  it('still sends a clicking recipient on to the target', async () => {
    const key = clickLinkKey('unsubscribe-secret-for-tests-0123456789abcdef');
    const token = signClickToken({ sendId: randomUUID(), url: 'https://shop.example/' }, key);
    const res = await fetch(`${server.url}/r/${token}`, { redirect: 'manual' });
    expect(res.status).toBe(302);
    expect(res.headers.get('location')).toBe('https://shop.example/');
  });
});
