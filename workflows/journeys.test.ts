import { writeFileSync } from 'node:fs';
import type { WorkflowHandle } from '@temporalio/client';
import { defaultPayloadConverter } from '@temporalio/common';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SendJourneyStepInput } from '../activities/journeys.ts';
import type { JourneyKind } from '../domain/journeys/definitions.ts';
import { startCampaignTestEnv, type CampaignTestEnv } from '../platform/testing/campaigns.ts';
import { createTestDatabase, type TestDatabase } from '../platform/testing/database.ts';
import { historyToJSON } from '../platform/testing/histories.ts';
import { signalJourney, signalWithStartJourney } from '../temporal/journey-starts.ts';
import { JourneyType } from '../temporal/search-attributes.ts';
import { journeyStateQuery, type JourneyResult, type JourneyState } from './journey-messages.ts';
import type { scoreCustomersWorkflow } from './score-customers.ts';

/**
 * Each journey under Temporal's time-skipping test server with the production activities and
 * the sandbox providers: the happy path, and the exits (a purchase, an opt-out mid-journey, a
 * suppression). The clock only moves through `env.sleep` (see platform/testing/campaigns.ts).
 */

const HOUR = 3_600_000;

describe('journey workflows (time-skipping)', () => {
  let t: TestDatabase;
  let c: CampaignTestEnv;
  let n = 0;

  beforeAll(async () => {
    t = await createTestDatabase();
    // Seeded and scored customers, for the cross-sell's primary category and the win-back hook.
    c = await startCampaignTestEnv(t.db, { name: 'journeys', customerCount: 120, seed: 5 });
  }, 180_000);
  afterAll(async () => {
    await c?.teardown();
    await t?.drop();
  });

  /** A customer every rule lets us write to, on both channels. */
  async function reachableCustomer(): Promise<string> {
    n++;
    const [{ id }] = await t
      .db('customers')
      .insert({
        external_id: `J-${n}`,
        email: `journey-${n}@example.com`,
        phone: `+1312555${String(1000 + n)}`,
        first_name: 'Robin',
        date_of_birth: '1980-04-02',
        age_verified: true,
        country: 'US',
        time_zone: 'America/Chicago',
      })
      .returning('id');
    await t.db('consents').insert([
      { customer_id: id, channel: 'email', status: 'opted_in', source: 'test', recorded_at: new Date(0) },
      { customer_id: id, channel: 'sms', status: 'opted_in', source: 'test', recorded_at: new Date(0) },
    ]);
    return id;
  }

  async function start(journey: JourneyKind, customerId: string, eventId = `e-${journey}-${customerId}`) {
    const started = await signalWithStartJourney(c.client, t.db, {
      journey,
      customerId,
      trigger: 'event',
      event: { type: 'test', eventId, occurredAt: new Date().toISOString() },
      taskQueue: c.queues.workflows,
      sendsTaskQueue: c.queues.sends,
    });
    return { ...started, handle: c.client.workflow.getHandle(started.workflowId, started.runId) };
  }

  /** Skips time an hour at a go until the journey's state satisfies `done`. */
  async function skipUntil(handle: WorkflowHandle, done: (s: JourneyState) => boolean, maxHours = 24 * 10) {
    for (let i = 0; i < maxHours; i++) {
      const state = await handle.query(journeyStateQuery);
      if (done(state)) return state;
      await c.env.sleep('1 hour');
    }
    throw new Error(`the journey did not get there in ${maxHours} hours`);
  }

  async function finish(handle: WorkflowHandle): Promise<JourneyResult> {
    for (let i = 0; i < 60; i++) {
      const { status } = await handle.describe();
      if (status.name !== 'RUNNING') return handle.result();
      await c.env.sleep('6 hours');
    }
    throw new Error('the journey was still running after 15 days');
  }

  /** The journey's step sends as the workflow dispatched them: step and the workflow's time. */
  async function dispatchedSteps(handle: WorkflowHandle) {
    const history = await handle.fetchHistory();
    const startedAt = Number(history.events![0]!.eventTime!.seconds) * 1000;
    return history
      .events!.filter((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'sendJourneyStep')
      .map((e) => {
        const input = defaultPayloadConverter.fromPayload<SendJourneyStepInput>(
          e.activityTaskScheduledEventAttributes!.input!.payloads![0]!,
        );
        return { step: input.step, afterMs: input.now - startedAt };
      });
  }

  /**
   * With RECORD_JOURNEY_HISTORIES=1, keeps the journey's history as a fixture that
   * workflows/journeys-replay.test.ts replays against later code (see there).
   */
  async function record(handle: WorkflowHandle, name: string): Promise<void> {
    if (!process.env.RECORD_JOURNEY_HISTORIES) return;
    const json = historyToJSON(await handle.fetchHistory());
    writeFileSync(new URL(`./fixtures/${name}`, import.meta.url), `${JSON.stringify(json, null, 2)}\n`);
  }

  async function ledger(runId: string) {
    const sends = await t.db('sends').where({ journey_run_id: runId }).orderBy('journey_step');
    const outbox = await t.db('outbox').whereIn(
      'send_id',
      sends.map((s) => s.id),
    );
    return { sends, outbox };
  }

  it('welcome series: day 0, 3 and 7, once each through the ledger; a burst of starts is one journey', async () => {
    const customerId = await reachableCustomer();
    const burst = await Promise.all(Array.from({ length: 5 }, (_, i) => start('welcome', customerId, `burst-${i}`)));
    expect(burst.filter((b) => b.outcome === 'started')).toHaveLength(1);
    expect(burst.filter((b) => b.outcome === 'signalled')).toHaveLength(4);
    expect(new Set(burst.map((b) => b.runId)).size).toBe(1);
    const { handle, runId } = burst[0]!;
    expect((await handle.describe()).typedSearchAttributes.get(JourneyType)).toBe('welcome');

    const result = await finish(handle);
    expect(result).toEqual({ status: 'completed', exitReason: null, sent: 3, skipped: 0, failed: 0 });
    const { sends, outbox } = await ledger(runId);
    expect(sends.map((s) => [s.journey_step, s.channel, s.status])).toEqual([
      [0, 'email', 'sent'],
      [1, 'email', 'sent'],
      [2, 'email', 'sent'],
    ]);
    expect(sends.every((s) => s.campaign_id === null && s.customer_id === customerId)).toBe(true);
    // One provider call per message.
    expect(outbox.map((o) => o.send_id).sort()).toEqual(sends.map((s) => s.id).sort());
    // Each step at its day, or at the end of the quiet hours it fell in.
    // A step that fell in quiet hours is asked again when they end: the last ask is the send.
    const dispatched = await dispatchedSteps(handle);
    const steps = [0, 1, 2].map((i) => dispatched.filter((s) => s.step === i).at(-1));
    for (const [i, due] of [0, 72, 168].entries()) {
      expect(steps[i]!.afterMs).toBeGreaterThanOrEqual(due * HOUR);
      expect(steps[i]!.afterMs).toBeLessThan((due + 12) * HOUR);
    }
    const run = await t.db('journey_runs').where({ id: runId }).first();
    expect(run).toMatchObject({ journey: 'welcome', status: 'completed', exit_reason: null, announced: true });
    await record(handle, 'journey-welcome-history.json');
  }, 120_000);

  it("post-purchase follow-up: a cross-sell from the customer's primary category", async () => {
    const scored = await t
      .db('customer_scores')
      .whereNotNull('primary_category')
      .orderBy('customer_id')
      .first('customer_id', 'primary_category');
    const customerId = scored.customer_id as string;
    await t.db('customers').where({ id: customerId }).update({ age_verified: true, date_of_birth: '1975-01-01' });
    await t.db('suppressions').where({ customer_id: customerId }).update({ lifted_at: new Date() });
    await t.db('consents').insert({
      customer_id: customerId,
      channel: 'email',
      status: 'opted_in',
      source: 'test',
      recorded_at: new Date(),
    });
    await t
      .db('customers')
      .where({ id: customerId })
      .update({ email: `cross-sell-${customerId}@example.com` });

    const { handle, runId } = await start('post_purchase', customerId);
    const result = await finish(handle);
    expect(result).toMatchObject({ status: 'completed', sent: 1 });
    const { outbox } = await ledger(runId);
    expect(outbox).toHaveLength(1);
    expect(JSON.stringify(outbox[0])).toContain(scored.primary_category);
  }, 120_000);

  it('abandoned cart: reminds after the wait when no purchase comes', async () => {
    const customerId = await reachableCustomer();
    const { handle, runId } = await start('abandoned_cart', customerId);
    const result = await finish(handle);
    expect(result).toMatchObject({ status: 'completed', exitReason: null, sent: 1 });
    const [first] = await dispatchedSteps(handle);
    expect(first!.afterMs).toBeGreaterThanOrEqual(4 * HOUR);
    expect((await ledger(runId)).outbox).toHaveLength(1);
  }, 120_000);

  it('abandoned cart: a purchase event ends it at once, and nothing is sent', async () => {
    const customerId = await reachableCustomer();
    const { handle, runId } = await start('abandoned_cart', customerId);
    await skipUntil(handle, (s) => s.status === 'waiting');
    await c.env.sleep('1 hour');
    const told = await signalJourney(c.client, 'abandoned_cart', customerId, {
      type: 'purchase',
      eventId: `purchase-${customerId}`,
      occurredAt: new Date().toISOString(),
    });
    expect(told).toBe(true);
    // No time moves: the signal alone ends the journey.
    expect(await handle.result()).toMatchObject({ status: 'exited', exitReason: 'purchased', sent: 0 });
    expect(await dispatchedSteps(handle)).toEqual([]);
    expect((await ledger(runId)).sends).toEqual([]);
    await record(handle, 'journey-cart-purchased-history.json');
    expect(await t.db('journey_runs').where({ id: runId }).first()).toMatchObject({
      status: 'exited',
      exit_reason: 'purchased',
    });
  }, 120_000);

  it('abandoned cart: an order reported without an event is seen before the send', async () => {
    const customerId = await reachableCustomer();
    const { handle, runId } = await start('abandoned_cart', customerId);
    await skipUntil(handle, (s) => s.status === 'waiting');
    await t.db('orders').insert({
      external_id: `O-${customerId}`,
      customer_id: customerId,
      ordered_at: new Date(await c.env.currentTimeMs()),
      total: '42.00',
    });
    expect(await finish(handle)).toMatchObject({ status: 'exited', exitReason: 'purchased', sent: 0 });
    expect((await ledger(runId)).sends).toEqual([]);
  }, 120_000);

  it('welcome series: the customer opts out mid-journey, and nothing more is sent', async () => {
    const customerId = await reachableCustomer();
    const { handle, runId } = await start('welcome', customerId);
    await skipUntil(handle, (s) => s.sent === 1 && s.status === 'waiting');
    await t.db('consents').insert({ customer_id: customerId, channel: 'email', status: 'opted_out', source: 'test' });
    expect(await finish(handle)).toMatchObject({ status: 'exited', exitReason: 'opted_out', sent: 1 });
    expect((await ledger(runId)).sends.map((s) => s.journey_step)).toEqual([0]);
  }, 120_000);

  it('welcome series: the customer becomes suppressed mid-journey, and nothing more is sent', async () => {
    const customerId = await reachableCustomer();
    const { handle, runId } = await start('welcome', customerId);
    await skipUntil(handle, (s) => s.sent === 1 && s.status === 'waiting');
    await t.db('suppressions').insert({
      channel: 'email',
      address: `journey-${n}@example.com`,
      reason: 'hard_bounce',
      customer_id: customerId,
    });
    expect(await finish(handle)).toMatchObject({ status: 'exited', exitReason: 'suppressed', sent: 1 });
    expect((await ledger(runId)).outbox).toHaveLength(1);
  }, 120_000);

  it('win-back: an e-mail at once and a text a week later', async () => {
    const customerId = await reachableCustomer();
    const { handle, runId } = await start('win_back', customerId);
    expect(await finish(handle)).toEqual({ status: 'completed', exitReason: null, sent: 2, skipped: 0, failed: 0 });
    const { sends, outbox } = await ledger(runId);
    expect(sends.map((s) => [s.journey_step, s.channel, s.status])).toEqual([
      [0, 'email', 'sent'],
      [1, 'sms', 'sent'],
    ]);
    expect(outbox.map((o) => o.channel).sort()).toEqual(['email', 'sms']);
    await record(handle, 'journey-win-back-history.json');
    const steps = await dispatchedSteps(handle);
    expect(steps.at(-1)!.afterMs).toBeGreaterThanOrEqual(168 * HOUR);
  }, 120_000);

  it.each(['post_purchase', 'abandoned_cart', 'win_back'] as const)(
    '%s: an opt-out or a suppression before the first send ends it with nothing sent',
    async (journey) => {
      const optedOut = await reachableCustomer();
      await t.db('consents').insert({ customer_id: optedOut, channel: 'email', status: 'opted_out', source: 'test' });
      const suppressed = await reachableCustomer();
      await t.db('suppressions').insert({
        channel: 'email',
        address: `journey-${n}@example.com`,
        reason: 'complaint',
        customer_id: suppressed,
      });
      const a = await start(journey, optedOut);
      const b = await start(journey, suppressed);
      expect(await finish(a.handle)).toMatchObject({ status: 'exited', exitReason: 'opted_out', sent: 0 });
      expect(await finish(b.handle)).toMatchObject({ status: 'exited', exitReason: 'suppressed', sent: 0 });
      expect((await ledger(a.runId)).sends).toEqual([]);
      expect((await ledger(b.runId)).sends).toEqual([]);
    },
    120_000,
  );

  it('a journey switched off starts, sends nothing and says why', async () => {
    await t.db('journey_settings').insert({ journey: 'post_purchase', enabled: false, settings: '{}' });
    const customerId = await reachableCustomer();
    const { handle } = await start('post_purchase', customerId);
    expect(await finish(handle)).toMatchObject({ status: 'exited', exitReason: 'switched_off', sent: 0 });
    await t.db('journey_settings').where({ journey: 'post_purchase' }).delete();
  }, 60_000);

  it('win-back: the nightly scoring run starts one for each customer who moved into high churn risk, once', async () => {
    const high = (await t.db('customer_scores').where({ churn_band: 'high' }).pluck('customer_id')) as string[];
    expect(high.length).toBeGreaterThan(0);
    // The first run remembered every band; pretend these were medium last night.
    expect(await t.db('journey_churn_bands').whereIn('customer_id', high).pluck('band')).toEqual(
      high.map(() => 'high'),
    );
    await t.db('journey_churn_bands').whereIn('customer_id', high).update({ band: 'medium' });
    const before = new Map(
      (await t.db('journey_churn_bands').select('customer_id', 'band')).map((b) => [b.customer_id, b.band]),
    );

    const score = () =>
      c.client.workflow.execute<typeof scoreCustomersWorkflow>('scoreCustomersWorkflow', {
        taskQueue: c.queues.workflows,
        workflowId: `journeys-score-${Date.now()}`,
        args: [{ trigger: 'manual', scoringTaskQueue: c.queues.scoring }],
      });
    await score();
    const runs = await t.db('journey_runs').where({ journey: 'win_back', trigger: 'scoring' });
    const nowHigh = (await t.db('customer_scores').where({ churn_band: 'high' }).pluck('customer_id')) as string[];
    // Those made medium above, and any whom the clock (moved on by earlier tests) made high since.
    const moved = nowHigh.filter((id) => before.has(id) && before.get(id) !== 'high');
    expect(moved.length).toBeGreaterThan(0);
    expect(runs.map((r) => r.customer_id).sort()).toEqual(moved.sort());
    expect(runs.every((r) => r.trigger === 'scoring' && r.announced)).toBe(true);

    // The next night nobody moved: nobody is started again.
    await score();
    expect(await t.db('journey_runs').where({ journey: 'win_back', trigger: 'scoring' })).toHaveLength(runs.length);

    // A purchase ends a win-back. Seeded customers who opted out or were suppressed have ended
    // theirs already, so the purchase goes to one who can still be written to.
    const unreachable = new Set(
      (
        await t.db.raw<{ rows: { id: string }[] }>(
          `select c.id from customers c
          where exists (select 1 from consents k where k.customer_id = c.id and k.status = 'opted_out')
             or exists (select 1 from suppressions x where x.address in (lower(c.email), c.phone))`,
        )
      ).rows.map((r) => r.id),
    );
    const one = runs.find((r) => !unreachable.has(r.customer_id))!;
    expect(one).toBeDefined();
    await signalJourney(c.client, 'win_back', one.customer_id, {
      type: 'purchase',
      eventId: `wb-purchase-${one.customer_id}`,
      occurredAt: new Date().toISOString(),
    });
    const result = (await c.client.workflow.getHandle(one.workflow_id, one.id).result()) as JourneyResult;
    expect(result).toMatchObject({ status: 'exited', exitReason: 'purchased' });
  }, 180_000);
});
