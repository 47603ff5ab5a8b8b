import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { signUnsubscribeToken } from '../../domain/messaging/index.ts';
import { eventually, startTestApi, type TestApi } from '../../platform/testing/api.ts';
import { createTestDatabase, type TestDatabase } from '../../platform/testing/database.ts';

const SECRET = 'unsubscribe-secret-for-tests-0123456789abcdef';
const STORE = `Bob's <Bottle> & Co`;

describe('unsubscribe and preference links', () => {
  let t: TestDatabase;
  let api: TestApi;
  let customerId: string;
  const campaignId = randomUUID();

  const tokenFor = (id: string, channel: 'email' | 'sms' = 'email', secret = SECRET) =>
    signUnsubscribeToken({ customerId: id, channel, campaignId, issuedAt: new Date() }, secret);

  /** A browser form or a mailbox provider's one-click POST: form-encoded, no JSON, no login. */
  const postForm = (path: string, body: string) =>
    fetch(`${api.url}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'user-agent': 'MailboxProvider/1.0' },
      body,
    });

  const consents = () =>
    t.db('consents').where({ customer_id: customerId }).orderBy('recorded_at').select('channel', 'status', 'source');
  const suppressions = () =>
    t.db('suppressions').orderBy('created_at').select('channel', 'address', 'reason', 'source', 'lifted_at');

  beforeAll(async () => {
    t = await createTestDatabase();
    api = await startTestApi(t.db, { env: { UNSUBSCRIBE_SECRET: SECRET, STORE_NAME: STORE } });
  });
  afterAll(async () => {
    await api.close();
    await t.drop();
  });

  beforeEach(async () => {
    await t.db('suppressions').delete();
    const [c] = await t
      .db('customers')
      .insert({ external_id: randomUUID(), email: 'Pat.Shopper@Example.com', phone: '+15555550123', first_name: 'Pat' })
      .returning('id');
    customerId = c.id;
    await t.db('consents').insert([
      { customer_id: customerId, channel: 'email', status: 'opted_in', source: 'import', recorded_at: new Date(0) },
      { customer_id: customerId, channel: 'sms', status: 'opted_in', source: 'import', recorded_at: new Date(0) },
    ]);
  });

  it('answers GET with an escaped confirmation page whose form posts back, and changes nothing', async () => {
    const token = tokenFor(customerId);
    const res = await fetch(`${api.url}/api/unsubscribe/${token}`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/html/);
    expect(res.headers.get('content-security-policy')).toContain("default-src 'none'");
    expect(res.headers.get('cache-control')).toBe('no-store');
    const page = await res.text();
    expect(page).toContain(`<form method="post" action="/api/unsubscribe/${token}">`);
    expect(page).toContain('Bob&#39;s &lt;Bottle&gt; &amp; Co');
    expect(page).not.toContain('<Bottle>');
    expect(page).not.toMatch(/<script/i);
    expect(page).toContain(`/preferences/${token}`);
    expect(await consents()).toHaveLength(2);
    expect(await suppressions()).toEqual([]);
  });

  it('unsubscribes on a one-click POST once, and a second click changes nothing and still answers 200', async () => {
    const token = tokenFor(customerId);
    const first = await postForm(`/api/unsubscribe/${token}`, 'List-Unsubscribe=One-Click');
    expect(first.status).toBe(200);
    expect(await first.text()).toContain('You are unsubscribed');

    const optOut = await t
      .db('consents')
      .where({ customer_id: customerId, status: 'opted_out' })
      .select('channel', 'source', 'evidence');
    expect(optOut).toEqual([
      {
        channel: 'email',
        source: 'unsubscribe_link',
        evidence: { campaignId, ip: '127.0.0.1', userAgent: 'MailboxProvider/1.0', oneClick: true },
      },
    ]);
    expect(await suppressions()).toEqual([
      {
        channel: 'email',
        address: 'pat.shopper@example.com',
        reason: 'unsubscribe',
        source: 'unsubscribe_link',
        lifted_at: null,
      },
    ]);

    // The page's own form posts an empty body.
    const again = await postForm(`/api/unsubscribe/${token}`, '');
    expect(again.status).toBe(200);
    expect(await consents()).toHaveLength(3);
    expect(await suppressions()).toHaveLength(1);
    // SMS is untouched: the link was the e-mail's.
    expect((await consents()).filter((c) => c.channel === 'sms')).toEqual([
      { channel: 'sms', status: 'opted_in', source: 'import' },
    ]);

    const page = await (await fetch(`${api.url}/api/unsubscribe/${token}`)).text();
    expect(page).not.toContain('<form');
  });

  it('unsubscribes an SMS link from texts and suppresses the phone number', async () => {
    const res = await postForm(`/api/unsubscribe/${tokenFor(customerId, 'sms')}`, '');
    expect(res.status).toBe(200);
    expect(await suppressions()).toEqual([
      { channel: 'sms', address: '+15555550123', reason: 'unsubscribe', source: 'unsubscribe_link', lifted_at: null },
    ]);
  });

  it.each([
    ['a changed signature', () => tokenFor(customerId).replace(/.$/, (c) => (c === 'A' ? 'B' : 'A'))],
    ['a changed payload', () => tokenFor(customerId).replace(/^./, (c) => (c === 'd' ? 'e' : 'd'))],
    ['another secret', () => tokenFor(customerId, 'email', 'some-other-secret-that-is-long-enough-0123')],
    ['a customer that does not exist', () => tokenFor(randomUUID())],
    ['no token at all', () => 'not-a-token'],
  ])('refuses %s with 400 and writes nothing', async (_name, token) => {
    const bad = token();
    for (const res of [
      await postForm(`/api/unsubscribe/${bad}`, 'List-Unsubscribe=One-Click'),
      await fetch(`${api.url}/api/unsubscribe/${bad}`),
      await fetch(`${api.url}/preferences/${bad}`),
      await postForm(`/preferences/${bad}`, 'email=opted_out&sms=opted_out'),
    ]) {
      expect(res.status).toBe(400);
      expect(await res.text()).toContain('This link is not valid');
    }
    expect(await consents()).toHaveLength(2);
    expect(await suppressions()).toEqual([]);
  });

  it('refuses a form body that is not a one-click request', async () => {
    const res = await postForm(`/api/unsubscribe/${tokenFor(customerId)}`, 'List-Unsubscribe=Please');
    expect(res.status).toBe(400);
    expect(await consents()).toHaveLength(2);
  });

  it('lets a customer opt back in to e-mail but never lifts a STOP from the preference page', async () => {
    const token = tokenFor(customerId);
    // They unsubscribed from e-mail with the link, and replied STOP to a text.
    await postForm(`/api/unsubscribe/${token}`, 'List-Unsubscribe=One-Click');
    await t.db('consents').insert({ customer_id: customerId, channel: 'sms', status: 'opted_out', source: 'sms_stop' });
    await t.db('suppressions').insert({
      channel: 'sms',
      address: '+15555550123',
      reason: 'sms_stop',
      customer_id: customerId,
      source: 'twilio',
    });

    const page = await fetch(`${api.url}/preferences/${token}`);
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain(`<form method="post" action="/preferences/${token}">`);
    expect(html).toContain('<input type="radio" name="email" value="opted_out" checked>');
    expect(html).toContain('You replied STOP');
    expect(html).toContain('It does not undo a STOP reply');
    expect(html).not.toMatch(/<script/i);

    const saved = await postForm(`/preferences/${token}`, 'email=opted_in&sms=opted_in');
    expect(saved.status).toBe(200);
    const after = await saved.text();
    expect(after).toContain('Your preferences are saved.');
    expect(after).toContain('<input type="radio" name="email" value="opted_in" checked>');
    expect(after).toContain('You replied STOP');

    const latest = await t
      .db('consents')
      .where({ customer_id: customerId, source: 'preference_page' })
      .orderBy('channel')
      .select('channel', 'status');
    expect(latest).toEqual([
      { channel: 'email', status: 'opted_in' },
      { channel: 'sms', status: 'opted_in' },
    ]);
    const active = await t.db('suppressions').whereNull('lifted_at').select('channel', 'reason');
    expect(active).toEqual([{ channel: 'sms', reason: 'sms_stop' }]);
    const lifted = await t.db('suppressions').whereNotNull('lifted_at').select('channel', 'reason');
    expect(lifted).toEqual([{ channel: 'email', reason: 'unsubscribe' }]);

    // Saving the same choices again records nothing new.
    const count = (await consents()).length;
    expect((await postForm(`/preferences/${token}`, 'email=opted_in&sms=opted_in')).status).toBe(200);
    expect(await consents()).toHaveLength(count);
  });

  it('opts out from the preference page like the unsubscribe link does', async () => {
    const token = tokenFor(customerId, 'sms');
    const res = await postForm(`/preferences/${token}`, 'email=opted_out');
    expect(res.status).toBe(200);
    expect((await consents()).at(-1)).toEqual({ channel: 'email', status: 'opted_out', source: 'preference_page' });
    expect(await suppressions()).toEqual([
      {
        channel: 'email',
        address: 'pat.shopper@example.com',
        reason: 'unsubscribe',
        source: 'preference_page',
        lifted_at: null,
      },
    ]);
  });

  it('refuses an unknown choice with 400 and writes nothing', async () => {
    const res = await postForm(`/preferences/${tokenFor(customerId)}`, 'email=maybe');
    expect(res.status).toBe(400);
    expect(await consents()).toHaveLength(2);
  });

  it('records the unsubscribe in the audit log by customer, without the token', async () => {
    const token = tokenFor(customerId);
    const res = await postForm(`/api/unsubscribe/${token}`, 'List-Unsubscribe=One-Click');
    expect(res.status).toBe(200);
    const requestId = res.headers.get('x-request-id');
    const row = await eventually(() => t.db('audit_log').where({ request_id: requestId }).first());
    expect(row).toMatchObject({
      action: 'POST /api/unsubscribe/:token',
      entity_type: 'unsubscribe',
      entity_id: customerId,
      actor_user_id: null,
      details: { status: 200, channel: 'email', changed: ['email'] },
    });
    expect(JSON.stringify(row)).not.toContain(token);
  });
});
