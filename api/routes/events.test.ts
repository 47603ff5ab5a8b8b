import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { journeySendId } from '../../activities/journeys.ts';
import { startTestApi, type TestApi } from '../../platform/testing/api.ts';
import { createTestDatabase, type TestDatabase } from '../../platform/testing/database.ts';
import { temporalTestTarget } from '../../platform/testing/temporal.ts';
import { connectTemporalClient } from '../../temporal/client.ts';

/**
 * The events API against the shared Temporal dev server. Nobody polls the test's task queues,
 * so the journeys it starts wait there: what is checked is what was started, signalled or
 * stored, not what the journeys send (workflows/journeys.test.ts covers that).
 */
describe('POST /api/events', () => {
  let t: TestDatabase;
  let api: TestApi;
  let key: string;
  let n = 0;

  beforeAll(async () => {
    t = await createTestDatabase();
    api = await startTestApi(t.db, { env: { DEFAULT_PHONE_REGION: 'US' } });
    key = (await api.services.apiKeys.create({ name: 'storefront', role: 'manager', scopes: ['events'] })).key;
  });
  afterAll(async () => {
    await api?.close();
    await t?.drop();
  });

  async function customer(fields: Record<string, unknown> = {}): Promise<{ id: string; externalId: string }> {
    n++;
    const externalId = `E-${n}`;
    const [{ id }] = await t
      .db('customers')
      .insert({ external_id: externalId, email: `shopper-${n}@example.com`, phone: `+1312555${2000 + n}`, ...fields })
      .returning('id');
    return { id, externalId };
  }

  const event = (fields: Record<string, unknown>) => ({
    type: 'signup',
    eventId: `evt-${++n}`,
    occurredAt: '2026-11-27T10:00:00Z',
    properties: { source: 'web' },
    ...fields,
  });
  const post = (body: unknown, token: string = key) => api.request('POST', '/api/events', { token, body });

  it('takes an API key with the events scope, and nothing less', async () => {
    const c = await customer();
    const body = event({ customerId: c.externalId });
    expect((await api.request('POST', '/api/events', { body })).status).toBe(401);
    const orders = (await api.services.apiKeys.create({ name: 'pos', role: 'manager', scopes: ['orders'] })).key;
    expect((await post(body, orders)).status).toBe(403);
    const reader = (await api.services.apiKeys.create({ name: 'ro', role: 'user', scopes: ['events'] })).key;
    expect((await post(body, reader)).status).toBe(403);
    expect((await post(body, await api.tokenFor('user'))).status).toBe(403);
    // Nothing was stored by the refused requests.
    expect(await t.db('customer_events').where({ event_id: body.eventId })).toEqual([]);

    const res = await post(body);
    expect(res.status).toBe(202);
    expect(await res.json()).toMatchObject({
      eventId: body.eventId,
      customerId: c.id,
      outcome: 'started',
      journeys: [{ journey: 'welcome', outcome: 'started', workflowId: `journey-welcome-${c.id}` }],
    });
  });

  it('refuses bad bodies with the fields that are wrong', async () => {
    const c = await customer();
    const cases: [unknown, string][] = [
      [{ ...event({ customerId: c.externalId }), surprise: 1 }, 'body'],
      [event({ customerId: c.externalId, email: 'a@example.com' }), 'body.customerId'],
      [event({}), 'body.customerId'],
      [event({ customerId: c.externalId, occurredAt: 'yesterday' }), 'body.occurredAt'],
      [event({ customerId: c.externalId, type: 'Not An Event!' }), 'body.type'],
      [event({ customerId: c.externalId, eventId: '' }), 'body.eventId'],
      [event({ email: 'not an address' }), 'body.email'],
      [event({ phone: '12' }), 'body.phone'],
    ];
    for (const [body, path] of cases) {
      const res = await post(body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.headers.get('content-type')).toMatch(/application\/problem\+json/);
      const problem = await res.json();
      expect(problem.errors.map((e: { path: string }) => e.path).join(' '), JSON.stringify(body)).toContain(path);
    }
    const unknown = await post(event({ customerId: 'nobody' }));
    expect(unknown.status).toBe(422);
    expect(await t.db('customer_events').count({ n: '*' }).where({ customer_id: c.id }).first()).toEqual({ n: 0 });
  });

  it('finds the customer by e-mail or phone, normalised as imports do', async () => {
    const c = await customer({ email: 'mixed.case@example.com', phone: '+13125550199' });
    const byEmail = await post(event({ email: '  Mixed.Case@Example.COM ' }));
    expect(await byEmail.json()).toMatchObject({ customerId: c.id, outcome: 'started' });
    const byPhone = await post(event({ phone: '(312) 555-0199' }));
    expect(await byPhone.json()).toMatchObject({ customerId: c.id, outcome: 'signalled' });
  });

  it('is idempotent by eventId: a repeat answers duplicate and starts nothing', async () => {
    const c = await customer();
    const body = event({ customerId: c.externalId, type: 'cart_abandoned' });
    const first = await (await post(body)).json();
    expect(first).toMatchObject({ outcome: 'started', journeys: [{ journey: 'abandoned_cart', outcome: 'started' }] });
    const again = await post({ ...body, properties: { changed: true } });
    expect(again.status).toBe(202);
    expect(await again.json()).toEqual({ ...first, outcome: 'duplicate' });
    expect(await t.db('customer_events').where({ event_id: body.eventId }).pluck('properties')).toEqual([
      { source: 'web' },
    ]);
    expect(await t.db('journey_runs').where({ customer_id: c.id })).toHaveLength(1);
  });

  it('a burst of events for one customer starts one journey', async () => {
    const c = await customer();
    const bodies = Array.from({ length: 40 }, () => event({ customerId: c.externalId }));
    const answers = await Promise.all(bodies.map(async (b) => (await post(b)).json()));
    expect(answers.filter((a) => a.outcome === 'started')).toHaveLength(1);
    expect(answers.filter((a) => a.outcome === 'signalled')).toHaveLength(39);
    expect(new Set(answers.map((a) => a.journeys[0].workflowId))).toEqual(new Set([`journey-welcome-${c.id}`]));
    expect(await t.db('journey_runs').where({ customer_id: c.id })).toHaveLength(1);
    expect(await t.db('customer_events').where({ customer_id: c.id })).toHaveLength(40);
    // The same event sent many times at once is stored once.
    const same = event({ customerId: c.externalId });
    const repeats = await Promise.all(Array.from({ length: 10 }, async () => (await post(same)).json()));
    expect(repeats.filter((a) => a.outcome !== 'duplicate')).toHaveLength(1);
    expect(await t.db('customer_events').where({ event_id: same.eventId })).toHaveLength(1);
  });

  it('a purchase starts the follow-up and tells a running cart reminder', async () => {
    const c = await customer();
    await post(event({ customerId: c.externalId, type: 'cart_abandoned' }));
    const res = await (await post(event({ customerId: c.externalId, type: 'purchase' }))).json();
    expect(res.outcome).toBe('started');
    expect(res.journeys).toEqual([
      { journey: 'post_purchase', outcome: 'started', workflowId: `journey-post_purchase-${c.id}` },
      { journey: 'abandoned_cart', outcome: 'signalled' },
    ]);

    // A cart reminder that has ended is not told, and nothing fails.
    const { address, namespace } = temporalTestTarget();
    const temporal = await connectTemporalClient(address, namespace);
    try {
      await temporal.client.workflow.getHandle(`journey-abandoned_cart-${c.id}`).terminate('the test ends it');
    } finally {
      await temporal.close();
    }
    const later = await post(event({ customerId: c.externalId, type: 'purchase' }));
    expect(later.status).toBe(202);
    expect((await later.json()).journeys).toEqual([
      { journey: 'post_purchase', outcome: 'signalled', workflowId: `journey-post_purchase-${c.id}` },
    ]);
  });

  it('an event no journey listens to is stored and ignored', async () => {
    const c = await customer();
    const body = event({ customerId: c.externalId, type: 'page_view' });
    expect(await (await post(body)).json()).toMatchObject({ outcome: 'ignored', journeys: [] });
    expect(await t.db('customer_events').where({ event_id: body.eventId }).first()).toMatchObject({
      type: 'page_view',
      customer_id: c.id,
    });
  });

  it('journeys are switched on and off by managers; a switched-off journey is not started', async () => {
    const manager = await api.tokenFor('manager');
    expect((await api.request('GET', '/api/journeys/settings', { token: await api.tokenFor('user') })).status).toBe(
      403,
    );
    const settings = await (await api.request('GET', '/api/journeys/settings', { token: manager })).json();
    expect(settings.welcome).toMatchObject({
      enabled: true,
      steps: [{ afterHours: 0 }, { afterHours: 72 }, { afterHours: 168 }],
    });

    const bad = await api.request('PUT', '/api/journeys/settings', {
      token: manager,
      body: {
        welcome: {
          ...settings.welcome,
          description: undefined,
          exitsOnPurchase: undefined,
          steps: [{ ...settings.welcome.steps[0], copy: { subject: 'Hi {{ nonsense }}', body: 'x', sms: 'x' } }],
        },
      },
    });
    expect(bad.status).toBe(400);
    const off = await api.request('PUT', '/api/journeys/settings', {
      token: manager,
      body: { welcome: { enabled: false, steps: [{ ...settings.welcome.steps[0], afterHours: 1 }] } },
    });
    expect(off.status).toBe(200);
    expect((await off.json()).welcome).toMatchObject({ enabled: false, steps: [{ afterHours: 1 }] });

    const c = await customer();
    const res = await (await post(event({ customerId: c.externalId }))).json();
    expect(res).toMatchObject({ outcome: 'ignored', journeys: [{ journey: 'welcome', outcome: 'ignored' }] });
    expect(await t.db('journey_runs').where({ customer_id: c.id })).toEqual([]);
    await t.db('journey_settings').delete();
  });

  it('an order after a journey message is attributed to that message, as after a campaign message', async () => {
    const c = await customer();
    await post(event({ customerId: c.externalId, type: 'cart_abandoned' }));
    const run = await t.db('journey_runs').where({ customer_id: c.id }).first();
    // The row the journey's send activity writes (workflows/journeys.test.ts sends for real).
    const sendId = journeySendId(run.id, c.id, 'email', 0);
    await t.db('sends').insert({
      id: sendId,
      journey_run_id: run.id,
      journey_step: 0,
      customer_id: c.id,
      channel: 'email',
      status: 'sent',
      sent_at: new Date('2026-05-01T14:00:00Z'),
    });
    await t.db('analytics_events').insert({
      occurred_at: new Date('2026-05-01T15:00:00Z'),
      type: 'clicked',
      customer_id: c.id,
      send_id: sendId,
      channel: 'email',
    });
    const pos = (await api.services.apiKeys.create({ name: 'till', role: 'manager', scopes: ['orders'] })).key;
    const res = await api.request('POST', '/api/orders', {
      token: pos,
      body: { orderId: `O-${c.externalId}`, customerId: c.externalId, orderedAt: '2026-05-01T20:00:00Z', total: '30' },
    });
    expect(res.status).toBe(201);
    expect((await res.json()).attribution).toMatchObject({ sendId, campaignId: null, touch: 'clicked' });
    const journeys = await (
      await api.request('GET', `/api/customers/${c.id}/journeys`, { token: await api.tokenFor('user') })
    ).json();
    expect(journeys.items[0].sends).toMatchObject([{ id: sendId, step: 0, channel: 'email', status: 'sent' }]);
  });

  it("the customer page lists the customer's journeys", async () => {
    const c = await customer();
    await post(event({ customerId: c.externalId, type: 'cart_abandoned' }));
    const res = await api.request('GET', `/api/customers/${c.id}/journeys`, { token: await api.tokenFor('user') });
    expect(res.status).toBe(200);
    expect((await res.json()).items).toMatchObject([
      { journey: 'abandoned_cart', status: 'running', trigger: 'event', sends: [] },
    ]);
    const missing = await api.request('GET', `/api/customers/${crypto.randomUUID()}/journeys`, {
      token: await api.tokenFor('user'),
    });
    expect(missing.status).toBe(404);
  });
});
