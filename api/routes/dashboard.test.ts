import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApi, type TestApi } from '../../platform/testing/api.ts';
import { createTestDatabase, type TestDatabase } from '../../platform/testing/database.ts';

describe('GET /api/dashboard', () => {
  let t: TestDatabase;
  let api: TestApi;
  let running: string;

  beforeAll(async () => {
    t = await createTestDatabase();
    api = await startTestApi(t.db);
    const customers = await t
      .db('customers')
      .insert(Array.from({ length: 4 }, (_, i) => ({ external_id: `C-${i}`, email: `c${i}@example.com` })))
      .returning('id');
    const campaign = (name: string, status: string) => ({
      name,
      status,
      type: 'winback',
      starts_on: '2026-11-20',
      time_zone: 'America/Chicago',
    });
    const [a, , old] = await t
      .db('campaigns')
      .insert([campaign('Winter whisky', 'active'), campaign('Draft idea', 'draft'), campaign('Summer', 'completed')])
      .returning('id');
    running = a.id;
    const hoursAgo = (h: number) => new Date(Date.now() - h * 3_600_000);
    // Seconds ago: today in the store's time zone (unless the test runs in the first seconds of a day).
    const secondsAgo = (s: number) => new Date(Date.now() - s * 1_000);
    const send = (campaignId: string, customer: number, fields: Record<string, unknown>) => ({
      id: randomUUID(),
      campaign_id: campaignId,
      customer_id: customers[customer]!.id,
      channel: 'email',
      day: customer,
      ...fields,
    });
    await t.db('sends').insert([
      // Four sends reached a provider in the period: 2 delivered (1 opened and clicked), 1 bounced, 1 only sent.
      send(running, 0, {
        status: 'delivered',
        sent_at: secondsAgo(1),
        delivered_at: secondsAgo(1),
        opened_at: secondsAgo(1),
        clicked_at: secondsAgo(1),
      }),
      send(running, 1, { status: 'delivered', sent_at: secondsAgo(2), delivered_at: secondsAgo(2) }),
      send(running, 2, {
        status: 'bounced',
        sent_at: secondsAgo(3),
        failed_at: secondsAgo(3),
        last_error: 'mailbox full',
      }),
      send(running, 3, { status: 'sent', sent_at: secondsAgo(4) }),
      // Skipped and pending sends never reached a provider; the old one is outside the period.
      send(old.id, 0, { status: 'skipped', skip_reason: 'frequency_cap' }),
      send(old.id, 1, { status: 'pending' }),
      send(old.id, 2, { status: 'delivered', sent_at: hoursAgo(24 * 60), delivered_at: hoursAgo(24 * 60) }),
    ]);
    await t.db('analytics_events').insert([
      { type: 'converted', occurred_at: hoursAgo(1), campaign_id: running, revenue: '59.90' },
      { type: 'converted', occurred_at: hoursAgo(5), campaign_id: running, revenue: '20.10' },
      { type: 'converted', occurred_at: hoursAgo(24 * 60), campaign_id: old.id, revenue: '1000.00' },
      { type: 'opened', occurred_at: hoursAgo(1), campaign_id: running },
    ]);
    await t.db('segments').where({ key: 'champions' }).update({ customer_count: 120 });
  });
  afterAll(async () => {
    await api.close();
    await t.drop();
  });

  it('counts what happened in the period, from the sends and events themselves', async () => {
    const res = await api.request('GET', '/api/dashboard', { token: await api.tokenFor('user') });
    expect(res.status).toBe(200);
    const body = await res.json();
    expect(body.activeCampaigns).toEqual([
      { id: running, name: 'Winter whisky', status: 'active', startsOn: '2026-11-20', sends: 4 },
    ]);
    expect(body.period).toEqual({ days: 30, sent: 4, delivered: 2, opened: 1, clicked: 1, failed: 1 });
    expect(body.rates).toEqual({ delivery: 0.5, open: 0.5, click: 0.5 });
    expect(body.revenueAttributed).toEqual({ amount: 80, orders: 2 });
    expect(body.segments).toContainEqual({ key: 'champions', name: expect.any(String), customers: 120 });
    expect(body.recentFailures).toEqual([
      expect.objectContaining({
        campaignId: running,
        campaign: 'Winter whisky',
        status: 'bounced',
        error: 'mailbox full',
      }),
    ]);
    expect(body.sendsToday).toBe(4);
  });

  it('widens the period on request and rejects what it does not know', async () => {
    const token = await api.tokenFor('user');
    const wide = await (await api.request('GET', '/api/dashboard?days=90', { token })).json();
    expect(wide.period.sent).toBe(5);
    expect(wide.revenueAttributed.amount).toBe(1080);
    const bad = await api.request('GET', '/api/dashboard?days=900&x=1', { token });
    expect(bad.status).toBe(400);
    expect(bad.headers.get('content-type')).toMatch(/problem\+json/);
  });
});
