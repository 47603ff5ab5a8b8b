import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMetricsRegistry } from '../platform/metrics.ts';
import { testLog } from '../platform/testing/temporal.ts';
import { businessMetrics } from './metrics.ts';
import { insertCampaign, insertCustomer, insertSend } from '../activities/webhooks/testing.ts';
import { startTestApi, type TestApi } from '../platform/testing/api.ts';
import { createTestDatabase, type TestDatabase } from '../platform/testing/database.ts';
import { mailgunEventData, signedMailgunBody } from '../platform/testing/webhooks.ts';
import { createLogger } from '../platform/logger.ts';

const SIGNING_KEY = 'mailgun-webhook-signing-key-for-observability';
const ALLOWED = 'https://shop.example.com';

/** The value of one series in Prometheus' text format, or undefined when it is not there. */
function sample(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    if (Object.entries(labels).every(([k, v]) => line.includes(`${k}="${v}"`))) return Number(line.split(' ').pop());
  }
  return undefined;
}

describe('metrics, request logs and CORS', () => {
  let t: TestDatabase;
  let api: TestApi;
  let admin: string;
  const lines: Record<string, unknown>[] = [];

  beforeAll(async () => {
    t = await createTestDatabase();
    // What the business gauges count: a failed and a delivered e-mail, an SMS sent, two campaigns,
    // one of them planned by the deterministic planner after the LLM failed.
    const campaignId = await insertCampaign(t.db);
    await t
      .db('campaigns')
      .where({ id: campaignId })
      .update({
        status: 'active',
        plan_record: JSON.stringify({ planner: 'deterministic', model: 'gpt-4o-mini', fallbackReason: 'timeout' }),
      });
    await t.db('campaigns').insert({
      name: 'Holiday gin',
      type: 'holiday',
      starts_on: '2026-12-01',
      time_zone: 'America/Chicago',
      plan_record: JSON.stringify({ planner: 'llm', model: 'gpt-4o-mini' }),
    });
    for (const [channel, status] of [
      ['email', 'failed'],
      ['email', 'delivered'],
      ['sms', 'sent'],
    ] as const) {
      const customer = await insertCustomer(t.db, { phone: '+14155550123' });
      await insertSend(t.db, { customerId: customer.id, campaignId, channel, status });
    }
    const log = createLogger('info', 'observability-test', {
      write: (line: string) => void lines.push(JSON.parse(line) as Record<string, unknown>),
    });
    api = await startTestApi(t.db, {
      log,
      env: { CORS_ORIGINS: `${ALLOWED}, https://admin.shop.example.com/`, MAILGUN_WEBHOOK_SIGNING_KEY: SIGNING_KEY },
    });
    admin = await api.tokenFor('admin');
  });
  afterAll(async () => {
    await api?.close();
    await t?.drop();
  });

  const scrape = async (token = admin) => {
    const res = await api.request('GET', '/metrics', { token });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    return res.text();
  };

  it('counts requests by route template, never by the raw URL', async () => {
    const id = randomUUID();
    expect((await api.request('GET', `/api/campaigns/${id}`, { token: admin })).status).toBe(404);
    expect((await api.request('GET', '/api/no-such-route', { token: admin })).status).toBe(404);
    const text = await scrape();
    expect(sample(text, 'lma_http_requests_total', { method: 'GET', route: '/api/campaigns/:id', status: '404' })).toBe(
      1,
    );
    expect(sample(text, 'lma_http_requests_total', { route: 'other', status: '404' })).toBe(1);
    expect(
      sample(text, 'lma_http_request_duration_seconds_count', { method: 'GET', route: '/api/campaigns/:id' }),
    ).toBe(1);
    expect(text).not.toContain(id);
    // The process metrics come from prom-client's defaults.
    expect(sample(text, 'process_resident_memory_bytes')).toBeGreaterThan(0);
  });

  it('reports sends by channel and status, campaigns by status and planner fallbacks from PostgreSQL', async () => {
    const text = await scrape();
    expect(sample(text, 'lma_business_metrics_up')).toBe(1);
    expect(sample(text, 'lma_sends', { channel: 'email', status: 'failed' })).toBe(1);
    expect(sample(text, 'lma_sends', { channel: 'email', status: 'delivered' })).toBe(1);
    expect(sample(text, 'lma_sends', { channel: 'sms', status: 'sent' })).toBe(1);
    // Statuses with no rows are zero, not missing, so that alert ratios see 0.
    expect(sample(text, 'lma_sends', { channel: 'sms', status: 'failed' })).toBe(0);
    expect(sample(text, 'lma_campaigns', { status: 'active' })).toBe(1);
    expect(sample(text, 'lma_campaigns', { status: 'draft' })).toBe(1);
    expect(sample(text, 'lma_campaigns', { status: 'completed' })).toBe(0);
    expect(sample(text, 'lma_campaign_plans', { planner: 'deterministic', fallback: 'true' })).toBe(1);
    expect(sample(text, 'lma_campaign_plans', { planner: 'llm', fallback: 'false' })).toBe(1);
  });

  it('asks PostgreSQL once for any number of scrapes at the same time or within the cache time', async () => {
    const registry = createMetricsRegistry();
    businessMetrics({ db: t.db, log: testLog, registry, cacheMs: 60_000 });
    const statements: string[] = [];
    const count = (q: { sql: string }) => statements.push(q.sql);
    t.db.on('query', count);
    try {
      const scrapes = await Promise.all(Array.from({ length: 20 }, () => registry.metrics()));
      scrapes.push(await registry.metrics());
      for (const text of scrapes) expect(sample(text, 'lma_sends', { channel: 'email', status: 'failed' })).toBe(1);
      expect(statements.filter((sql) => sql.includes('from "sends"'))).toHaveLength(1);
      expect(statements.filter((sql) => sql.includes('from "campaigns"'))).toHaveLength(2);
    } finally {
      t.db.off('query', count);
    }
  });

  it('measures webhook lag from the provider’s event time to our receipt', async () => {
    const sentAt = Date.now() / 1000 - 90;
    const body = signedMailgunBody(mailgunEventData({ event: 'delivered', timestamp: sentAt }), {
      signingKey: SIGNING_KEY,
    });
    const res = await fetch(`${api.url}/api/webhooks/mailgun`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    expect(res.status).toBe(200);
    const text = await scrape();
    expect(sample(text, 'lma_webhook_lag_seconds_count', { provider: 'mailgun' })).toBe(1);
    // 90 s late: above the 60 s bucket, within the 120 s one.
    expect(sample(text, 'lma_webhook_lag_seconds_bucket', { provider: 'mailgun', le: '60' })).toBe(0);
    expect(sample(text, 'lma_webhook_lag_seconds_bucket', { provider: 'mailgun', le: '120' })).toBe(1);
  });

  it('counts what became of each webhook event: unmatched, duplicate, replayed', async () => {
    const post = (body: unknown) =>
      fetch(`${api.url}/api/webhooks/mailgun`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
    const before = await scrape();
    const counted = (text: string, result: string) =>
      sample(text, 'lma_engagement_events_total', { source: 'mailgun', result }) ?? 0;
    // No send has these ids: stored as unmatched.
    const data = mailgunEventData({ event: 'opened' });
    const first = signedMailgunBody(data, { signingKey: SIGNING_KEY });
    expect((await post(first)).status).toBe(200);
    expect((await post(signedMailgunBody(data, { signingKey: SIGNING_KEY }))).status).toBe(200);
    expect((await post(first)).status).toBe(406);
    const after = await scrape();
    for (const [result, n] of [
      ['unmatched', 1],
      ['duplicate', 1],
      ['replayed', 1],
      ['accepted', 0],
      ['failed', 0],
    ] as const) {
      expect(counted(after, result) - counted(before, result), result).toBe(n);
    }
  });

  it('lets Prometheus scrape with an API key of the metrics scope only', async () => {
    const scraper = await api.services.apiKeys.create({ name: 'prometheus', role: 'admin', scopes: ['metrics'] });
    expect(await scrape(scraper.key)).toContain('lma_http_requests_total');
    expect((await api.request('GET', '/api/customers', { token: scraper.key })).status).toBe(403);
    expect((await api.request('GET', '/metrics', { token: await api.tokenFor('manager') })).status).toBe(403);
    expect((await api.request('GET', '/metrics')).status).toBe(401);
  });

  it('writes one JSON log line per request with its request id and route template', async () => {
    const res = await api.request('GET', '/healthz', { headers: { 'x-request-id': 'probe-42' } });
    expect(res.headers.get('x-request-id')).toBe('probe-42');
    const token = randomUUID();
    await api.request('GET', `/api/unsubscribe/${token}`);
    const line = lines.find((l) => l.requestId === 'probe-42');
    expect(line).toMatchObject({ msg: 'request', method: 'GET', route: '/healthz', status: 200 });
    expect(typeof line?.ms).toBe('number');
    // The signed token in a link's URL never reaches the log.
    expect(JSON.stringify(lines)).not.toContain(token);
    expect(lines.some((l) => l.route === '/api/unsubscribe/:token')).toBe(true);
  });

  it('refuses a JSON body over the limit with a problem, before any handler reads it', async () => {
    const res = await api.request('POST', '/api/campaigns', {
      token: admin,
      body: { name: 'x'.repeat(1_100_000) },
    });
    expect(res.status).toBe(413);
    expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(await t.db('campaigns').count({ n: '*' })).toEqual([{ n: 2 }]);
  });

  it('answers a preflight from a listed origin, with credentials', async () => {
    const res = await fetch(`${api.url}/api/campaigns`, {
      method: 'OPTIONS',
      headers: {
        origin: ALLOWED,
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'content-type, x-csrf-token',
      },
    });
    expect(res.status).toBe(204);
    expect(res.headers.get('access-control-allow-origin')).toBe(ALLOWED);
    expect(res.headers.get('access-control-allow-credentials')).toBe('true');
    expect(res.headers.get('access-control-allow-methods')).toContain('POST');
    expect(res.headers.get('access-control-allow-headers')).toContain('x-csrf-token');

    const second = await api.request('GET', '/api/auth/me', {
      token: admin,
      headers: { origin: 'https://admin.shop.example.com' },
    });
    expect(second.status).toBe(200);
    expect(second.headers.get('access-control-allow-origin')).toBe('https://admin.shop.example.com');
    expect(second.headers.get('access-control-expose-headers')).toBe('x-request-id');
  });

  it('gives an origin that is not listed no CORS headers at all', async () => {
    for (const origin of ['https://evil.example', 'https://shop.example.com.evil.example', 'http://shop.example.com']) {
      const preflight = await fetch(`${api.url}/api/campaigns`, {
        method: 'OPTIONS',
        headers: { origin, 'access-control-request-method': 'POST' },
      });
      expect(preflight.headers.get('access-control-allow-origin')).toBeNull();
      expect(preflight.headers.get('access-control-allow-credentials')).toBeNull();
      const res = await api.request('GET', '/api/auth/me', { token: admin, headers: { origin } });
      expect(res.headers.get('access-control-allow-origin')).toBeNull();
    }
  });
});

describe('CORS by default', () => {
  let t: TestDatabase;
  let api: TestApi;
  beforeAll(async () => {
    t = await createTestDatabase();
    api = await startTestApi(t.db);
  });
  afterAll(async () => {
    await api?.close();
    await t?.drop();
  });

  it('allows no other origin when CORS_ORIGINS is unset', async () => {
    const preflight = await fetch(`${api.url}/api/campaigns`, {
      method: 'OPTIONS',
      headers: { origin: ALLOWED, 'access-control-request-method': 'POST' },
    });
    expect(preflight.headers.get('access-control-allow-origin')).toBeNull();
    const res = await api.request('GET', '/healthz', { headers: { origin: ALLOWED } });
    expect(res.status).toBe(200);
    expect(res.headers.get('access-control-allow-origin')).toBeNull();
  });
});
