import { randomUUID } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startS3Stub, type S3Stub } from '../../bench/stubs/s3-stub.ts';
import { startTestApi, type TestApi } from '../../platform/testing/api.ts';
import { createTestDatabase, type TestDatabase } from '../../platform/testing/database.ts';
import { insertCustomerScore, insertScoreRun } from '../../platform/testing/scored-customers.ts';

/**
 * The analytics API over a small campaign with known numbers: 4 planned e-mails, 3 sent,
 * 2 delivered, 2 opened, 1 clicked, 1 attributed order of 80.00; a holdout of 2 customers.
 */
describe('analytics API', () => {
  let t: TestDatabase;
  let api: TestApi;
  let s3: S3Stub;
  let token: string;
  let manager: string;
  let campaignId: string;
  let otherCampaignId: string;
  const exportDir = mkdtempSync(path.join(os.tmpdir(), 'lma-exports-'));
  const customers: string[] = [];
  const sends: string[] = [];

  beforeAll(async () => {
    t = await createTestDatabase();
    s3 = await startS3Stub({ buckets: ['exports'] });
    // The AWS SDK's usual credential chain: this test process's environment.
    process.env.AWS_ACCESS_KEY_ID = s3.accessKeyId;
    process.env.AWS_SECRET_ACCESS_KEY = s3.secretAccessKey;
    api = await startTestApi(t.db, {
      env: {
        EXPORT_DIR: exportDir,
        EXPORT_S3_BUCKET: 'exports',
        EXPORT_S3_ENDPOINT: s3.url,
        EXPORT_S3_FORCE_PATH_STYLE: 'true',
        EXPORT_S3_PREFIX: 'lma/',
      },
    });
    token = await api.tokenFor('user');
    manager = await api.tokenFor('manager');

    const [segment] = await t.db('segments').where({ key: 'champions' }).pluck('id');
    const runId = await insertScoreRun(t.db);
    for (let i = 0; i < 6; i++) {
      const [c] = await t
        .db('customers')
        .insert({ external_id: `C-${i}`, first_name: i === 0 ? '=cmd|calc' : `Pat ${i}` })
        .returning('id');
      await insertCustomerScore(t.db, { customerId: c.id, runId, segmentId: segment });
      customers.push(c.id);
    }
    const campaign = (name: string, startsOn: string) => ({
      name,
      type: 'win_back',
      starts_on: startsOn,
      window_days: 7,
      time_zone: 'America/Chicago',
      status: 'active',
    });
    [{ id: campaignId }] = await t.db('campaigns').insert(campaign('=Spring win-back', '2026-05-01')).returning('id');
    [{ id: otherCampaignId }] = await t.db('campaigns').insert(campaign('Summer', '2026-06-01')).returning('id');
    // Customers 0–3 are planned an e-mail on May 1st; 4 and 5 are held out.
    for (const customer of customers.slice(0, 4)) {
      await t.db('actions').insert({
        campaign_id: campaignId,
        customer_id: customer,
        segment_key: 'champions',
        day: 0,
        scheduled_on: '2026-05-01',
        window_start: '10:00',
        window_end: '12:00',
        channels: ['email'],
        offer: JSON.stringify({ key: 'x', label: 'X', kind: 'discount' }),
        priority_score: 0.5,
      });
    }
    await t
      .db('campaign_holdouts')
      .insert(customers.slice(4).map((c) => ({ campaign_id: campaignId, customer_id: c, segment_key: 'champions' })));
    for (const [i, customer] of customers.slice(0, 3).entries()) {
      const id = randomUUID();
      sends.push(id);
      await t.db('sends').insert({
        id,
        campaign_id: campaignId,
        customer_id: customer,
        channel: 'email',
        day: 0,
        status: 'sent',
        sent_at: new Date(`2026-05-01T15:0${i}:00Z`),
      });
    }
    const ev = (send: number, type: string, at: string) => ({
      occurred_at: new Date(at),
      type,
      customer_id: customers[send],
      campaign_id: campaignId,
      send_id: sends[send],
      channel: 'email',
      properties: JSON.stringify({ url: '=HYPERLINK("http://evil.example")' }),
    });
    await t
      .db('analytics_events')
      .insert([
        ev(0, 'delivered', '2026-05-01T15:01:00Z'),
        ev(1, 'delivered', '2026-05-01T15:02:00Z'),
        ev(0, 'opened', '2026-05-01T18:00:00Z'),
        ev(1, 'opened', '2026-05-02T18:00:00Z'),
        ev(1, 'opened', '2026-05-02T19:00:00Z'),
        ev(0, 'clicked', '2026-05-01T18:01:00Z'),
      ]);
    // Customer 0 orders the next day (attributed to the click); holdout customer 4 orders too.
    const res = await api.request('POST', '/api/orders', {
      token: manager,
      body: { orderId: 'O-1', customerId: 'C-0', orderedAt: '2026-05-02T20:00:00Z', total: 80 },
    });
    expect(res.status).toBe(201);
    await t.db('orders').insert({
      external_id: 'O-2',
      customer_id: customers[4],
      ordered_at: new Date('2026-05-03T20:00:00Z'),
      total: '30.00',
    });
  });
  afterAll(async () => {
    await api?.close();
    await s3?.close();
    await t?.drop();
  });

  const get = async (url: string, as = token) => {
    const res = await api.request('GET', url, { token: as });
    return { status: res.status, type: res.headers.get('content-type'), body: await res.json() };
  };

  it('gives one point per day, with each send counted once per stage and attributed revenue', async () => {
    const { status, body } = await get('/api/analytics/timeseries?from=2026-04-30&to=2026-05-03');
    expect(status).toBe(200);
    expect(body.days).toEqual([
      { day: '2026-04-30', sent: 0, delivered: 0, opened: 0, clicked: 0, failed: 0, converted: 0, revenue: '0' },
      { day: '2026-05-01', sent: 3, delivered: 2, opened: 1, clicked: 1, failed: 0, converted: 0, revenue: '0' },
      { day: '2026-05-02', sent: 0, delivered: 0, opened: 1, clicked: 0, failed: 0, converted: 1, revenue: '80.00' },
      { day: '2026-05-03', sent: 0, delivered: 0, opened: 0, clicked: 0, failed: 0, converted: 0, revenue: '0' },
    ]);
    const other = await get(`/api/analytics/timeseries?from=2026-05-01&to=2026-05-01&campaignIds=${otherCampaignId}`);
    expect(other.body.days[0].sent).toBe(0);
  });

  it('defaults to the last 90 days and refuses a range backwards or too long, as problem+json', async () => {
    const { body } = await get('/api/analytics/timeseries');
    expect(body.days).toHaveLength(90);
    for (const q of ['from=2026-05-03&to=2026-05-01', 'from=2024-01-01&to=2026-01-01', 'from=2026-02-30', 'x=1']) {
      const bad = await get(`/api/analytics/timeseries?${q}`);
      expect(bad.status, q).toBe(400);
      expect(bad.type).toContain('application/problem+json');
    }
  });

  it('gives the funnel planned → sent → delivered → opened → clicked → converted, whole or by day', async () => {
    const whole = await get(`/api/analytics/funnel?campaignIds=${campaignId}`);
    expect(whole.body.rows).toEqual([
      {
        campaignId,
        planned: 4,
        sent: 3,
        delivered: 2,
        opened: 2,
        clicked: 1,
        failed: 0,
        converted: 1,
        revenue: '80.00',
      },
    ]);
    const byDay = await get(`/api/analytics/funnel?campaignIds=${campaignId}&by=day,channel,segment`);
    expect(byDay.body.rows.map((r: any) => [r.day, r.channel, r.segment, r.planned, r.opened])).toEqual([
      ['2026-05-01', 'email', 'champions', 4, 1],
      ['2026-05-02', 'email', 'champions', 0, 1],
    ]);
    expect((await get(`/api/analytics/funnel?campaignIds=${campaignId}&by=week`)).status).toBe(400);
    expect((await get('/api/analytics/funnel')).status).toBe(400);
  });

  it('compares campaigns side by side with their rates', async () => {
    const { body } = await get('/api/analytics/campaigns?from=2026-04-01&to=2026-06-30');
    expect(body.campaigns.map((c: any) => c.name)).toEqual(['Summer', '=Spring win-back']);
    const spring = body.campaigns[1];
    expect(spring).toMatchObject({ sent: 3, delivered: 2, converted: 1, revenue: '80.00' });
    expect(spring.rates).toEqual({ delivery: 2 / 3, open: 1, click: 0.5, conversion: 1 / 3 });
    expect(body.campaigns[0]).toMatchObject({ sent: 0, rates: { delivery: null } });
  });

  it('reports treated against holdout with the lift and its interval', async () => {
    const { status, body } = await get(`/api/analytics/campaigns/${campaignId}/holdout`);
    expect(status).toBe(200);
    // Treated: 4 customers, one spent 80 → 20 per customer; holdout: 2, one spent 30 → 15.
    expect(body.treated).toEqual({ customers: 4, conversionRate: 0.25, revenuePerCustomer: 20, revenue: 80 });
    expect(body.holdout).toEqual({ customers: 2, conversionRate: 0.5, revenuePerCustomer: 15, revenue: 30 });
    expect(body.revenuePerCustomerLift.estimate).toBe(5);
    expect(body.revenuePerCustomerLift.low).toBeLessThan(5);
    expect(body.conversionLift.estimate).toBe(-0.25);
    expect(body.method).toContain('Welch');
    expect((await get(`/api/analytics/campaigns/${randomUUID()}/holdout`)).status).toBe(404);
  });

  it('streams a CSV download with spreadsheet formulas defused', async () => {
    const res = await api.request('GET', `/api/analytics/exports/events?campaignId=${campaignId}`, { token: manager });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/csv; charset=utf-8');
    expect(res.headers.get('content-disposition')).toMatch(/^attachment; filename="events-.*\.csv"$/);
    const lines = (await res.text()).trimEnd().split('\r\n');
    expect(lines[0]).toBe('event_id,occurred_at,type,customer_id,campaign_id,send_id,channel,revenue,properties');
    // 6 engagement events and the conversion.
    expect(lines).toHaveLength(8);
    expect(lines[1]).toContain(String.raw`"{""url"":""=HYPERLINK(\""http://evil.example\"")""}"`);

    const results = await (
      await api.request('GET', `/api/analytics/exports/campaign-results?campaignId=${campaignId}`, { token: manager })
    ).text();
    expect(results.split('\r\n')[1]).toBe(`${campaignId},'=Spring win-back,2026-05-01,email,champions,4,3,2,1,1,0,0,0`);

    const sendsCsv = await (
      await api.request('GET', `/api/analytics/exports/sends?campaignId=${campaignId}`, { token: manager })
    ).text();
    expect(sendsCsv.split('\r\n').filter(Boolean)).toHaveLength(4);
    expect(sendsCsv).toContain(`${sends[0]},${campaignId},${customers[0]},C-0,email,0,sent`);
    expect(sendsCsv.split('\r\n')[1]).toMatch(/,1,80\.00$/);

    expect((await api.request('GET', '/api/analytics/exports/customers', { token: manager })).status).toBe(400);
    expect((await api.request('GET', '/api/analytics/exports/events', { token })).status).toBe(403);
  });

  it('writes an export to the export directory', async () => {
    const res = await api.request('POST', '/api/analytics/exports', {
      token: manager,
      body: { kind: 'sends', destination: 'directory', campaignId },
    });
    expect(res.status).toBe(201);
    const body = await res.json();
    expect(body).toMatchObject({ kind: 'sends', destination: 'directory' });
    expect(readdirSync(exportDir)).toEqual([path.basename(body.location)]);
    const text = readFileSync(body.location, 'utf8');
    expect(text.length).toBe(body.bytes);
    expect(text.split('\r\n').filter(Boolean)).toHaveLength(4);
  });

  it('uploads a large export to an S3-compatible bucket in parts, never as one body', async () => {
    // About 9 MB of CSV: more than one 5 MiB part.
    await t.db.raw(
      `insert into analytics_events (occurred_at, type, customer_id, campaign_id, channel, properties)
       select timestamptz '2026-05-04T00:00:00Z' + g * interval '1 second', 'opened', ?, ?, 'email',
              jsonb_build_object('note', repeat('x', 20))
       from generate_series(1, 60000) g`,
      [customers[3]!, otherCampaignId],
    );
    const res = await api.request('POST', '/api/analytics/exports', {
      token: manager,
      body: { kind: 'events', destination: 's3', campaignId: otherCampaignId },
    });
    expect(res.status).toBe(201);
    const body = await res.json();
    expect(body.location).toMatch(/^s3:\/\/exports\/lma\/events-.*\.csv$/);
    const stored = s3.objects.get(body.location.slice('s3://'.length))!;
    expect(stored.length).toBe(body.bytes);
    expect(stored.length).toBeGreaterThan(5 * 1024 * 1024);
    expect(stored.toString().trimEnd().split('\r\n')).toHaveLength(60_001);
    expect(s3.requests.some((r) => /^POST \/exports\/lma\/events-.*\?uploads/.test(r))).toBe(true);
    expect(s3.largestBodyBytes()).toBeLessThanOrEqual(5 * 1024 * 1024 + 1024);
  });

  it('says when an export destination is not configured, and validates the request', async () => {
    const bare = await startTestApi(t.db);
    try {
      const managerToken = await bare.tokenFor('manager');
      const res = await bare.request('POST', '/api/analytics/exports', {
        token: managerToken,
        body: { kind: 'events', destination: 's3' },
      });
      expect(res.status).toBe(409);
      expect((await res.json()).detail).toMatch(/EXPORT_S3_BUCKET/);
      const bad = await bare.request('POST', '/api/analytics/exports', {
        token: managerToken,
        body: { kind: 'events', destination: 'ftp' },
      });
      expect(bad.status).toBe(400);
      expect((await bad.json()).errors[0].path).toBe('body.destination');
    } finally {
      await bare.close();
    }
  });
});
