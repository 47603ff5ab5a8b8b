import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { insertCampaign, insertCustomer, insertSend } from '../../activities/webhooks/testing.ts';
import { clickLinkKey, signClickToken, trackedLink } from '../../domain/messaging/click-token.ts';
import { startTestApi, type TestApi } from '../../platform/testing/api.ts';
import { createTestDatabase, type TestDatabase } from '../../platform/testing/database.ts';

const SECRET = 'unsubscribe-secret-for-tests-0123456789abcdef';
const key = clickLinkKey(SECRET);

describe('GET /r/:token (tracked links)', () => {
  let t: TestDatabase;
  let api: TestApi;

  const open = (path: string) =>
    fetch(`${api.url}${path}`, { redirect: 'manual', headers: { 'user-agent': 'Mail/1.0' } });

  beforeAll(async () => {
    t = await createTestDatabase();
    api = await startTestApi(t.db, {
      env: { UNSUBSCRIBE_SECRET: SECRET, PUBLIC_URL: 'https://marketing.shop.example' },
    });
  });
  afterAll(async () => {
    await api.close();
    await t.drop();
  });

  it('records the click on the ledger and in analytics, then redirects to the target', async () => {
    const customer = await insertCustomer(t.db);
    const send = await insertSend(t.db, {
      customerId: customer.id,
      campaignId: await insertCampaign(t.db),
      status: 'delivered',
    });
    const url = 'https://shop.example/bourbon?utm_source=email&utm_campaign=weekend';
    const link = trackedLink('https://marketing.shop.example', { sendId: send.id, url }, key);
    const res = await open(new URL(link).pathname);
    expect(res.status).toBe(302);
    expect(res.headers.get('location')).toBe(url);
    expect(res.headers.get('cache-control')).toBe('no-store');
    // Recorded before the redirect was sent.
    const row = await t.db('sends').where({ id: send.id }).first('status', 'clicked_at');
    expect(row.status).toBe('delivered');
    expect(row.clicked_at).not.toBeNull();
    expect(
      await t.db('analytics_events').where({ send_id: send.id }).first('type', 'customer_id', 'properties'),
    ).toEqual({
      type: 'clicked',
      customer_id: customer.id,
      properties: expect.objectContaining({ provider: 'click', url, userAgent: 'Mail/1.0' }),
    });
    expect(await t.db('webhook_receipts').where({ provider: 'click', send_id: send.id }).count({ n: '*' })).toEqual([
      { n: 1 },
    ]);
  });

  it('counts every click: a second click is a second event, and the first click time stays', async () => {
    const customer = await insertCustomer(t.db);
    const send = await insertSend(t.db, { customerId: customer.id });
    const path = `/r/${signClickToken({ sendId: send.id, url: 'https://shop.example/' }, key)}`;
    expect((await open(path)).status).toBe(302);
    const first = (await t.db('sends').where({ id: send.id }).first('clicked_at')).clicked_at;
    expect((await open(path)).status).toBe(302);
    expect(await t.db('sends').where({ id: send.id }).first('clicked_at')).toEqual({ clicked_at: first });
    expect(await t.db('analytics_events').where({ send_id: send.id, type: 'clicked' }).count({ n: '*' })).toEqual([
      { n: 2 },
    ]);
  });

  it('answers a HEAD (a link checker, not a person) with the redirect and counts nothing', async () => {
    const customer = await insertCustomer(t.db);
    const send = await insertSend(t.db, { customerId: customer.id });
    const token = signClickToken({ sendId: send.id, url: 'https://shop.example/rum' }, key);
    const res = await fetch(`${api.url}/r/${token}`, { method: 'HEAD', redirect: 'manual' });
    expect(res.status).toBe(302);
    expect(res.headers.get('location')).toBe('https://shop.example/rum');
    expect(await t.db('analytics_events').where({ send_id: send.id })).toEqual([]);
    expect(await t.db('sends').where({ id: send.id }).first('clicked_at')).toEqual({ clicked_at: null });
  });

  it('refuses a tampered token with 400, no redirect and nothing recorded', async () => {
    const customer = await insertCustomer(t.db);
    const send = await insertSend(t.db, { customerId: customer.id });
    const [version, sendId, , signature] = signClickToken({ sendId: send.id, url: 'https://shop.example/' }, key).split(
      '.',
    );
    const evil = Buffer.from('https://evil.example/login').toString('base64url');
    const before = await t.db('analytics_events').count({ n: '*' });
    for (const token of [
      [version, sendId, evil, signature].join('.'),
      'not-a-token',
      signClickToken(
        { sendId: send.id, url: 'https://shop.example/' },
        clickLinkKey('another-secret-0123456789abcdef01234'),
      ),
    ]) {
      const res = await open(`/r/${token}`);
      expect(res.status, token).toBe(400);
      expect(res.headers.get('location')).toBeNull();
      expect(await res.text()).toContain('This link is not valid');
    }
    expect(await t.db('analytics_events').count({ n: '*' })).toEqual(before);
    expect(await t.db('sends').where({ id: send.id }).first('clicked_at')).toEqual({ clicked_at: null });
  });

  it('still redirects a signed link whose send is gone, and stores the click as unmatched', async () => {
    const sendId = randomUUID();
    const res = await open(`/r/${signClickToken({ sendId, url: 'https://shop.example/gin' }, key)}`);
    expect(res.status).toBe(302);
    expect(res.headers.get('location')).toBe('https://shop.example/gin');
    const event = await t
      .db('analytics_events')
      .whereRaw(`properties->>'url' = ?`, ['https://shop.example/gin'])
      .first();
    expect(event).toMatchObject({ type: 'clicked', send_id: null, properties: { unmatched: true } });
  });
});
