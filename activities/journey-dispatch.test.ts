import { Client, Connection } from '@temporalio/client';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startTestApi, type TestApi } from '../platform/testing/api.ts';
import { createTestDatabase, type TestDatabase } from '../platform/testing/database.ts';
import { parseConfig } from '../platform/config.ts';
import { temporalTestTarget, testLog, testTaskQueue } from '../platform/testing/temporal.ts';
import { connectTemporalClient, type TemporalClient } from '../temporal/client.ts';
import { ensureJourneyDispatcher, journeyDispatcherWorkflowId } from '../temporal/journey-starts.ts';
import { bundleWorkflows, startWorkers, type Workers } from '../temporal/worker.ts';
import { journeyStateQuery } from '../workflows/journey-messages.ts';
import { dispatchJourneyEventBatch } from './journey-dispatch.ts';
import { activityDeps } from './settings.ts';

/**
 * The journey dispatcher: events the API accepted reach their journeys once, in order per
 * customer, whatever dies in between (the dispatcher mid-batch, the worker, Temporal itself).
 * Against the shared Temporal dev server and real workers of the test's own.
 */
describe('journey dispatcher', () => {
  let t: TestDatabase;
  let api: TestApi;
  let temporal: TemporalClient;
  let key: string;
  let n = 0;
  const workflowsTaskQueue = testTaskQueue('dispatch');

  beforeAll(async () => {
    t = await createTestDatabase();
    const { address, namespace } = temporalTestTarget();
    temporal = await connectTemporalClient(address, namespace);
    api = await startTestApi(t.db);
    key = (await api.services.apiKeys.create({ name: 'storefront', role: 'manager', scopes: ['events'] })).key;
  });
  afterAll(async () => {
    await api?.close();
    await temporal?.close();
    await t?.drop();
  });

  async function customers(count: number): Promise<{ id: string; externalId: string }[]> {
    const rows = Array.from({ length: count }, () => ({ external_id: `D-${++n}`, email: `d-${n}@example.com` }));
    const ids = (await t.db('customers').insert(rows).returning(['id', 'external_id'])) as {
      id: string;
      external_id: string;
    }[];
    return ids.map((r) => ({ id: r.id, externalId: r.external_id }));
  }

  async function accept(events: { customerId: string; type?: string }[]): Promise<string[]> {
    const body = events.map((e) => ({
      type: e.type ?? 'signup',
      eventId: `evt-${++n}`,
      occurredAt: '2026-11-27T10:00:00Z',
      customerId: e.customerId,
    }));
    const res = await api.request('POST', '/api/events/batch', { token: key, body: { events: body } });
    expect(res.status).toBe(202);
    expect((await res.json()).accepted).toBe(events.length);
    return body.map((e) => e.eventId);
  }

  const waiting = async (eventIds: string[]) =>
    (await t.db('customer_events').whereIn('event_id', eventIds).whereNull('dispatched_at').pluck('event_id')).length;

  async function signalsTo(workflowId: string): Promise<string[]> {
    const history = await temporal.client.workflow.getHandle(workflowId).fetchHistory();
    return (history.events ?? []).flatMap((e) =>
      e.workflowExecutionSignaledEventAttributes ? [e.workflowExecutionSignaledEventAttributes.signalName!] : [],
    );
  }

  it('delivers each event once, even with two dispatchers at work at once', async () => {
    const cs = await customers(20);
    const eventIds = await accept(cs.flatMap((c) => [c, c, c].map(() => ({ customerId: c.externalId }))));
    const drain = async () => {
      let dispatched = 0;
      for (;;) {
        const b = await dispatchJourneyEventBatch(t.db, temporal.client, { workflowsTaskQueue }, { batchSize: 7 });
        if (b.claimed === 0) return dispatched;
        expect(b.failed).toBe(0);
        dispatched += b.dispatched;
      }
    };
    const [a, b] = await Promise.all([drain(), drain()]);
    expect(a + b).toBe(60);
    expect(await waiting(eventIds)).toBe(0);

    const outcomes = (await t.db('customer_events').whereIn('event_id', eventIds).pluck('outcome')).map((o) => o[0]);
    expect(outcomes.filter((o) => o.outcome === 'started')).toHaveLength(20);
    expect(outcomes.filter((o) => o.outcome === 'signalled')).toHaveLength(40);
    const runs = await t.db('journey_runs').whereIn(
      'customer_id',
      cs.map((c) => c.id),
    );
    expect(runs).toHaveLength(20);
    // Temporal heard each event once: three signals per customer's journey, one of them its start.
    for (const c of cs.slice(0, 5)) {
      expect(await signalsTo(`journey-welcome-${c.id}`)).toEqual(['journeyEvent', 'journeyEvent', 'journeyEvent']);
    }
  });

  it('a dispatcher that dies mid-batch leaves its events to the next one', async () => {
    const [c] = await customers(1);
    const eventIds = await accept([{ customerId: c!.externalId }, { customerId: c!.externalId }]);
    // A dispatcher claims the events, then its process dies before it delivers them.
    const dying = new pg.Client({ connectionString: t.url });
    await dying.connect();
    dying.on('error', () => undefined);
    await dying.query('begin');
    const claimed = await dying.query(
      'select id from customer_events where event_id = any($1) and dispatched_at is null for update skip locked',
      [eventIds],
    );
    expect(claimed.rows).toHaveLength(2);
    // While it holds them, another dispatcher passes them by rather than delivering them twice.
    expect(await dispatchJourneyEventBatch(t.db, temporal.client, { workflowsTaskQueue })).toMatchObject({
      claimed: 0,
    });

    const { rows } = await dying.query<{ pid: number }>('select pg_backend_pid() as pid');
    await t.db.raw('select pg_terminate_backend(?)', [rows[0]!.pid]);
    await dying.end().catch(() => undefined);

    expect(await dispatchJourneyEventBatch(t.db, temporal.client, { workflowsTaskQueue })).toMatchObject({
      claimed: 2,
      dispatched: 2,
      failed: 0,
    });
    expect(await waiting(eventIds)).toBe(0);
    expect(await signalsTo(`journey-welcome-${c!.id}`)).toEqual(['journeyEvent', 'journeyEvent']);
  });

  it('holds events back while Temporal is down and delivers them, in order, when it is back', async () => {
    const [c] = await customers(1);
    const eventIds = await accept([
      { customerId: c!.externalId, type: 'cart_abandoned' },
      { customerId: c!.externalId, type: 'purchase' },
    ]);
    // Nothing listens there: every call to Temporal fails at once (no retries of the client's own).
    const down = new Client({
      connection: Connection.lazy({ address: '127.0.0.1:9', interceptors: [] }),
      namespace: temporalTestTarget().namespace,
    });
    try {
      expect(await dispatchJourneyEventBatch(t.db, down, { workflowsTaskQueue })).toMatchObject({
        claimed: 2,
        dispatched: 0,
        failed: 2,
      });
    } finally {
      await down.connection.close();
    }
    const held = await t
      .db('customer_events')
      .whereIn('event_id', eventIds)
      .orderBy('seq')
      .select(
        'dispatched_at',
        'dispatch_attempts',
        'dispatch_error',
        'outcome',
        t.db.raw('dispatch_after > now() as later'),
      );
    // The cart's event failed and counts an attempt; the purchase after it waits as long without one.
    expect(held.map((h) => [h.dispatched_at, h.dispatch_attempts, h.later, h.outcome[0].outcome])).toEqual([
      [null, 1, true, 'queued'],
      [null, 0, true, 'queued'],
    ]);
    expect(held[0].dispatch_error).toEqual(expect.any(String));
    // The client sees it waiting, why, and when it is tried again.
    const shown = await (await api.request('GET', `/api/events/${eventIds[0]}`, { token: key })).json();
    expect(shown).toMatchObject({ dispatchedAt: null, outcome: 'queued', attempts: 1, error: held[0].dispatch_error });
    expect(Date.parse(shown.nextAttemptAt)).toBeGreaterThan(Date.parse(shown.receivedAt));
    // Held back: not taken again before its time.
    expect(await dispatchJourneyEventBatch(t.db, temporal.client, { workflowsTaskQueue })).toMatchObject({
      claimed: 0,
    });

    // Its time comes (the test does not wait for it).
    await t.db('customer_events').whereIn('event_id', eventIds).update({ dispatch_after: t.db.fn.now() });
    expect(await dispatchJourneyEventBatch(t.db, temporal.client, { workflowsTaskQueue })).toMatchObject({
      dispatched: 2,
      failed: 0,
    });
    const [cart, purchase] = (await t
      .db('customer_events')
      .whereIn('event_id', eventIds)
      .orderBy('seq')
      .select('outcome', 'dispatch_error')) as { outcome: { journey: string; outcome: string }[] }[];
    expect(cart!.outcome).toMatchObject([{ journey: 'abandoned_cart', outcome: 'started' }]);
    // The purchase reached the cart reminder that its cart started: delivered after it.
    expect(purchase!.outcome).toMatchObject([
      { journey: 'post_purchase', outcome: 'started' },
      { journey: 'abandoned_cart', outcome: 'signalled' },
      { journey: 'win_back', outcome: 'ignored' },
    ]);
    expect(await signalsTo(`journey-abandoned_cart-${c!.id}`)).toEqual(['journeyEvent', 'journeyEvent']);
  });

  it('the dispatcher workflow on a worker delivers what was accepted while no worker ran, and after a restart', async () => {
    const prefix = testTaskQueue('dw');
    const queues = {
      workflows: `${prefix}-workflows`,
      sends: `${prefix}-sends`,
      scoring: `${prefix}-scoring`,
      planning: `${prefix}-planning`,
    };
    // The worker process of a deployment: started, stopped and started again on the same queues.
    const workflowBundle = await bundleWorkflows();
    const worker = () =>
      startWorkers({
        ...temporalTestTarget(),
        queues,
        workflowBundle,
        kinds: ['workflows', 'sends'],
        deps: activityDeps(
          parseConfig({
            STORE_TIME_ZONE: 'America/Chicago',
            UNSUBSCRIBE_SECRET: 'test-unsubscribe-secret-long-enough-0123456789',
          }),
          t.db,
          testLog,
        ),
      });
    const cs = await customers(3);
    // Accepted while no worker runs (the worker is down, or died right after the API answered).
    const before = await accept(cs.map((c) => ({ customerId: c.externalId })));
    let workers: Workers | undefined = await worker();
    try {
      await ensureJourneyDispatcher(temporal.client, { queues, idleMs: 50 });
      // A second start (another process starting) attaches to the one running.
      await ensureJourneyDispatcher(temporal.client, { queues, idleMs: 50 });
      await vi.waitFor(async () => expect(await waiting(before)).toBe(0), { timeout: 30_000, interval: 100 });
      // The journeys run on the worker: each read its plan (three steps of the welcome series).
      for (const c of cs) {
        await vi.waitFor(
          async () =>
            expect(
              await temporal.client.workflow.getHandle(`journey-welcome-${c.id}`).query(journeyStateQuery),
            ).toMatchObject({ journey: 'welcome', steps: 3 }),
          { timeout: 30_000, interval: 100 },
        );
      }

      // The worker stops (the dispatcher's activity ends with it); events keep being accepted.
      await workers.shutdown();
      workers = undefined;
      const during = await accept(cs.map((c) => ({ customerId: c.externalId, type: 'purchase' })));
      expect(await waiting(during)).toBe(3);
      // Started again, the dispatcher goes on where it stopped.
      workers = await worker();
      await vi.waitFor(async () => expect(await waiting(during)).toBe(0), { timeout: 60_000, interval: 100 });
      const runs = await t.db('journey_runs').whereIn(
        'customer_id',
        cs.map((c) => c.id),
      );
      expect(runs.map((r) => r.journey).sort()).toEqual([
        'post_purchase',
        'post_purchase',
        'post_purchase',
        'welcome',
        'welcome',
        'welcome',
      ]);
      const dispatcher = await temporal.client.workflow.getHandle(journeyDispatcherWorkflowId(queues)).describe();
      expect(dispatcher.status.name).toBe('RUNNING');
    } finally {
      await workers?.shutdown();
      await temporal.client.workflow
        .getHandle(journeyDispatcherWorkflowId(queues))
        .terminate('the test is over')
        .catch(() => undefined);
    }
  }, 180_000);
});
