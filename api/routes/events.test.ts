import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { dispatchJourneyEventBatch } from '../../activities/journey-dispatch.ts';
import { journeySendId } from '../../activities/journeys.ts';
import { startTestApi, type TestApi } from '../../platform/testing/api.ts';
import { createTestDatabase, type TestDatabase } from '../../platform/testing/database.ts';
import { temporalTestTarget, testTaskQueue } from '../../platform/testing/temporal.ts';
import { connectTemporalClient, type TemporalClient } from '../../temporal/client.ts';

/**
 * The events API against the shared Temporal dev server. The API stores what it accepts; the
 * test then delivers it as the journey dispatcher does (`deliver`), its workflow aside
 * (activities/journey-dispatch.test.ts runs that). Nobody polls the test's task queues, so the
 * journeys started wait there: what is checked is what was started, signalled or stored, not
 * what the journeys send (workflows/journeys.test.ts covers that).
 */
describe('POST /api/events', () => {
  let t: TestDatabase;
  let api: TestApi;
  let temporal: TemporalClient;
  let key: string;
  let n = 0;
  const workflowsTaskQueue = testTaskQueue('events');

  beforeAll(async () => {
    t = await createTestDatabase();
    const { address, namespace } = temporalTestTarget();
    temporal = await connectTemporalClient(address, namespace);
    api = await startTestApi(t.db, { env: { DEFAULT_PHONE_REGION: 'US' } });
    key = (await api.services.apiKeys.create({ name: 'storefront', role: 'manager', scopes: ['events'] })).key;
  });
  afterAll(async () => {
    await api?.close();
    await temporal?.close();
    await t?.drop();
  });

  /** Delivers every waiting event to Temporal, as the dispatcher would. */
  async function deliver(): Promise<number> {
    let dispatched = 0;
    for (;;) {
      const b = await dispatchJourneyEventBatch(t.db, temporal.client, { workflowsTaskQueue });
      if (b.claimed === 0) return dispatched;
      expect(b.failed).toBe(0);
      dispatched += b.dispatched;
    }
  }
  /** What the stored event did, once delivered. */
  async function outcomeOf(eventId: string) {
    return (await t.db('customer_events').where({ event_id: eventId }).first('outcome', 'dispatched_at')) as {
      outcome: unknown;
      dispatched_at: Date | null;
    };
  }

  async function customer(
    fields: Record<string, unknown> = {},
  ): Promise<{ id: string; externalId: string; email: string }> {
    n++;
    const externalId = `E-${n}`;
    const [{ id, email }] = await t
      .db('customers')
      .insert({ external_id: externalId, email: `shopper-${n}@example.com`, phone: `+1312555${2000 + n}`, ...fields })
      .returning(['id', 'email']);
    return { id, externalId, email };
  }

  const event = (fields: Record<string, unknown>) => ({
    type: 'signup',
    eventId: `evt-${++n}`,
    occurredAt: '2026-11-27T10:00:00Z',
    properties: { source: 'web' },
    ...fields,
  });
  const post = (body: unknown, token: string = key) => api.request('POST', '/api/events', { token, body });
  const postBatch = (events: unknown[], token: string = key) =>
    api.request('POST', '/api/events/batch', { token, body: { events } });

  it('takes an API key with the events scope, and nothing less', async () => {
    const c = await customer();
    const body = event({ customerId: c.externalId });
    expect((await api.request('POST', '/api/events', { body })).status).toBe(401);
    const orders = (await api.services.apiKeys.create({ name: 'pos', role: 'manager', scopes: ['orders'] })).key;
    expect((await post(body, orders)).status).toBe(403);
    expect((await postBatch([body], orders)).status).toBe(403);
    const reader = (await api.services.apiKeys.create({ name: 'ro', role: 'user', scopes: ['events'] })).key;
    expect((await post(body, reader)).status).toBe(403);
    expect((await post(body, await api.tokenFor('user'))).status).toBe(403);
    // Nothing was stored by the refused requests.
    expect(await t.db('customer_events').where({ event_id: body.eventId })).toEqual([]);

    const res = await post(body);
    expect(res.status).toBe(202);
    // Accepted once stored: the journey is queued, not yet started.
    expect(await res.json()).toEqual({
      eventId: body.eventId,
      customerId: c.id,
      outcome: 'queued',
      journeys: [{ journey: 'welcome', outcome: 'queued' }],
    });
    expect(await outcomeOf(body.eventId)).toMatchObject({ dispatched_at: null });
    expect(await t.db('journey_runs').where({ customer_id: c.id })).toEqual([]);
    const show = (id: string) =>
      api.request('GET', `/api/events/${encodeURIComponent(id)}`, { token: key }).then((r) => r.json());
    expect(await show(body.eventId)).toMatchObject({
      eventId: body.eventId,
      customerId: c.id,
      type: 'signup',
      dispatchedAt: null,
      outcome: 'queued',
      attempts: 0,
      nextAttemptAt: null,
      error: null,
    });

    // Operators see the queue and its oldest wait in /metrics.
    const metrics = await (await api.request('GET', '/metrics', { token: await api.tokenFor('admin') })).text();
    expect(metrics).toMatch(/^lma_journey_events_waiting 1$/m);
    expect(Number(/^lma_journey_events_oldest_waiting_seconds (\S+)$/m.exec(metrics)?.[1])).toBeGreaterThan(0);

    expect(await deliver()).toBe(1);
    const delivered = await outcomeOf(body.eventId);
    expect(delivered.outcome).toEqual([
      { journey: 'welcome', outcome: 'started', workflowId: `journey-welcome-${c.id}` },
    ]);
    expect(delivered.dispatched_at).toBeInstanceOf(Date);
    // The client sees what its event did, and when: the lag from acceptance to its journey.
    const shown = await show(body.eventId);
    expect(shown).toMatchObject({ outcome: 'started', journeys: delivered.outcome });
    // (The database keeps microseconds, JSON milliseconds.)
    expect(Math.abs(shown.lagMs - (Date.parse(shown.dispatchedAt) - Date.parse(shown.receivedAt)))).toBeLessThanOrEqual(
      1,
    );
    const missing = await api.request('GET', '/api/events/nobody-sent-this', { token: key });
    expect(missing.status).toBe(404);
    expect(await t.db('journey_runs').where({ customer_id: c.id })).toHaveLength(1);
    // A repeat now tells what the event did.
    expect(await (await post(body)).json()).toEqual({
      eventId: body.eventId,
      customerId: c.id,
      outcome: 'duplicate',
      journeys: delivered.outcome,
    });
    // One audit record per request, naming the event (written once the answer is sent).
    await vi.waitFor(async () =>
      expect(
        await t
          .db('audit_log')
          .where({ action: 'POST /api/events', entity_id: body.eventId })
          .orderBy('occurred_at')
          .pluck('details'),
      ).toEqual([
        { status: 202, entityId: body.eventId, outcome: 'queued' },
        { status: 202, entityId: body.eventId, outcome: 'duplicate' },
      ]),
    );
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
    expect((await unknown.json()).errors).toEqual([{ path: 'body.customerId', message: 'unknown customer' }]);
    // Two customers share an address: the event must name one by its id.
    await customer({ email: 'shared@example.com' });
    await customer({ email: 'SHARED@example.com' });
    const ambiguous = await post(event({ email: 'shared@example.com' }));
    expect(ambiguous.status).toBe(422);
    expect((await ambiguous.json()).errors).toEqual([{ path: 'body.email', message: 'ambiguous' }]);
    expect(await t.db('customer_events').count({ n: '*' }).where({ customer_id: c.id }).first()).toEqual({ n: 0 });
  });

  it('finds the customer by e-mail or phone, normalised as imports do', async () => {
    const c = await customer({ email: 'mixed.case@example.com', phone: '+13125550199' });
    const byEmail = await post(event({ email: '  Mixed.Case@Example.COM ' }));
    expect(await byEmail.json()).toMatchObject({ customerId: c.id, outcome: 'queued' });
    const byPhone = await post(event({ phone: '(312) 555-0199' }));
    expect(await byPhone.json()).toMatchObject({ customerId: c.id, outcome: 'queued' });
    expect(await deliver()).toBe(2);
    const outcomes = await t.db('customer_events').where({ customer_id: c.id }).orderBy('seq').pluck('outcome');
    expect(outcomes.map((o) => o[0].outcome)).toEqual(['started', 'signalled']);
  });

  it('is idempotent by eventId: a repeat answers duplicate and starts nothing', async () => {
    const c = await customer();
    const body = event({ customerId: c.externalId, type: 'cart_abandoned' });
    const first = await (await post(body)).json();
    expect(first).toMatchObject({ outcome: 'queued', journeys: [{ journey: 'abandoned_cart', outcome: 'queued' }] });
    const again = await post({ ...body, properties: { changed: true } });
    expect(again.status).toBe(202);
    expect(await again.json()).toEqual({ ...first, outcome: 'duplicate' });
    expect(await t.db('customer_events').where({ event_id: body.eventId }).pluck('properties')).toEqual([
      { source: 'web' },
    ]);
    expect(await deliver()).toBe(1);
    expect(await t.db('journey_runs').where({ customer_id: c.id })).toHaveLength(1);
  });

  it('a burst of events for one customer starts one journey', async () => {
    const c = await customer();
    const bodies = Array.from({ length: 40 }, () => event({ customerId: c.externalId }));
    const answers = await Promise.all(bodies.map(async (b) => (await post(b)).json()));
    expect(answers.filter((a) => a.outcome === 'queued')).toHaveLength(40);
    // The same event sent many times at once is stored once.
    const same = event({ customerId: c.externalId });
    const repeats = await Promise.all(Array.from({ length: 10 }, async () => (await post(same)).json()));
    expect(repeats.filter((a) => a.outcome !== 'duplicate')).toHaveLength(1);
    expect(await t.db('customer_events').where({ event_id: same.eventId })).toHaveLength(1);

    expect(await deliver()).toBe(41);
    const outcomes = (await t.db('customer_events').where({ customer_id: c.id }).pluck('outcome')).map((o) => o[0]);
    expect(outcomes.filter((o) => o.outcome === 'started')).toHaveLength(1);
    expect(outcomes.filter((o) => o.outcome === 'signalled')).toHaveLength(40);
    expect(new Set(outcomes.map((o) => o.workflowId))).toEqual(new Set([`journey-welcome-${c.id}`]));
    expect(await t.db('journey_runs').where({ customer_id: c.id })).toHaveLength(1);
    expect(await t.db('customer_events').where({ customer_id: c.id })).toHaveLength(41);
  });

  it('a purchase starts the follow-up and tells a running cart reminder', async () => {
    const c = await customer();
    await post(event({ customerId: c.externalId, type: 'cart_abandoned' }));
    const purchase = event({ customerId: c.externalId, type: 'purchase' });
    const res = await (await post(purchase)).json();
    expect(res).toMatchObject({ outcome: 'queued' });
    // The cart's event and the purchase reach Temporal in the order they came.
    expect(await deliver()).toBe(2);
    expect((await outcomeOf(purchase.eventId)).outcome).toEqual([
      { journey: 'post_purchase', outcome: 'started', workflowId: `journey-post_purchase-${c.id}` },
      { journey: 'abandoned_cart', outcome: 'signalled' },
      { journey: 'win_back', outcome: 'ignored', reason: 'not running' },
    ]);

    // A cart reminder that has ended is not told, and nothing fails.
    await temporal.client.workflow.getHandle(`journey-abandoned_cart-${c.id}`).terminate('the test ends it');
    const later = event({ customerId: c.externalId, type: 'purchase' });
    expect((await post(later)).status).toBe(202);
    expect(await deliver()).toBe(1);
    expect((await outcomeOf(later.eventId)).outcome).toEqual([
      { journey: 'post_purchase', outcome: 'signalled', workflowId: `journey-post_purchase-${c.id}` },
      { journey: 'abandoned_cart', outcome: 'ignored', reason: 'not running' },
      { journey: 'win_back', outcome: 'ignored', reason: 'not running' },
    ]);
  });

  it('an event no journey listens to is stored and ignored, and never queued', async () => {
    const c = await customer();
    const body = event({ customerId: c.externalId, type: 'page_view' });
    expect(await (await post(body)).json()).toMatchObject({ outcome: 'ignored', journeys: [] });
    expect(await t.db('customer_events').where({ event_id: body.eventId }).first()).toMatchObject({
      type: 'page_view',
      customer_id: c.id,
      dispatched_at: expect.any(Date),
    });
    expect(await deliver()).toBe(0);
  });

  it('takes a batch of events, each accepted, repeated or rejected on its own', async () => {
    const [a, b] = [await customer(), await customer()];
    const repeated = event({ customerId: a.externalId });
    await post(repeated);
    const items: unknown[] = [
      event({ customerId: a.externalId, type: 'cart_abandoned' }),
      { ...event({ customerId: b.externalId }), surprise: 1 },
      event({ email: b.email }),
      repeated,
      event({ customerId: 'nobody' }),
      'not an event',
      event({ phone: '12' }),
      event({ customerId: b.externalId, type: 'page_view' }),
    ];
    // The same event twice in one batch: the second is a duplicate of the first.
    items.push(items[2]);
    const res = await postBatch(items);
    expect(res.status).toBe(202);
    const answer = await res.json();
    expect(answer).toMatchObject({ accepted: 3, duplicates: 2, rejected: 4 });
    expect(answer.results.map((r: { index: number; status: string }) => [r.index, r.status])).toEqual([
      [0, 'accepted'],
      [1, 'rejected'],
      [2, 'accepted'],
      [3, 'duplicate'],
      [4, 'rejected'],
      [5, 'rejected'],
      [6, 'rejected'],
      [7, 'accepted'],
      [8, 'duplicate'],
    ]);
    expect(answer.results[0]).toEqual({
      index: 0,
      status: 'accepted',
      eventId: (items[0] as { eventId: string }).eventId,
      customerId: a.id,
      outcome: 'queued',
      journeys: [{ journey: 'abandoned_cart', outcome: 'queued' }],
    });
    expect(answer.results[1]).toMatchObject({
      eventId: (items[1] as { eventId: string }).eventId,
      errors: [{ path: 'body.events.1' }],
    });
    expect(answer.results[4].errors).toEqual([{ path: 'body.events.4.customerId', message: 'unknown customer' }]);
    expect(answer.results[5].errors[0].path).toBe('body.events.5');
    expect(answer.results[5].eventId).toBeUndefined();
    expect(answer.results[6].errors[0].path).toBe('body.events.6.phone');
    expect(answer.results[7]).toMatchObject({ customerId: b.id, outcome: 'ignored', journeys: [] });
    expect(answer.results[8]).toMatchObject({ customerId: b.id, outcome: 'duplicate' });

    const stored = await t.db('customer_events').whereIn('customer_id', [a.id, b.id]).pluck('event_id');
    expect(stored.sort()).toEqual(
      [repeated, items[0], items[2], items[7]].map((e) => (e as { eventId: string }).eventId).sort(),
    );
    expect(await deliver()).toBe(3);
    expect(await t.db('journey_runs').whereIn('customer_id', [a.id, b.id]).pluck('journey')).toHaveLength(3);
    // One audit record for the request, not one per event.
    const audit = () =>
      t
        .db('audit_log')
        .where({ action: 'POST /api/events/batch' })
        .whereRaw(`details->>'status' = '202'`)
        .pluck('details');
    await vi.waitFor(async () => expect(await audit()).toHaveLength(1));
    expect(await audit()).toEqual([
      {
        status: 202,
        entityId: [0, 2, 3, 7].map((i) => (items[i] as { eventId: string }).eventId).join(','),
        accepted: 3,
        duplicates: 2,
        rejected: 4,
      },
    ]);
  });

  it('refuses a batch that is not one: empty, too long, or not a list', async () => {
    const c = await customer();
    for (const events of [[], Array.from({ length: 501 }, () => event({ customerId: c.externalId }))]) {
      const res = await postBatch(events);
      expect(res.status).toBe(400);
      expect((await res.json()).errors[0].path).toBe('body.events');
    }
    const res = await api.request('POST', '/api/events/batch', { token: key, body: { events: 'x' } });
    expect(res.status).toBe(400);
    expect(await t.db('customer_events').where({ customer_id: c.id })).toEqual([]);
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
    expect(res).toMatchObject({
      outcome: 'ignored',
      journeys: [{ journey: 'welcome', outcome: 'ignored', reason: 'switched off' }],
    });
    expect(await deliver()).toBe(0);
    expect(await t.db('journey_runs').where({ customer_id: c.id })).toEqual([]);

    // Switched on again: the next event is queued at once, the switches read again after the save.
    const on = await api.request('PUT', '/api/journeys/settings', {
      token: manager,
      body: { welcome: { enabled: true, steps: settings.welcome.steps } },
    });
    expect(on.status).toBe(200);
    expect(await (await post(event({ customerId: c.externalId }))).json()).toMatchObject({ outcome: 'queued' });
    expect(await deliver()).toBe(1);
    expect(await t.db('journey_runs').where({ customer_id: c.id })).toHaveLength(1);
  });

  it('an order after a journey message is attributed to that message, as after a campaign message', async () => {
    const c = await customer();
    await post(event({ customerId: c.externalId, type: 'cart_abandoned' }));
    await deliver();
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
    await deliver();
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
