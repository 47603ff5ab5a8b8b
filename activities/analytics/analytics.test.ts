import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_ATTRIBUTION_WINDOWS } from '../../domain/analytics/attribution.ts';
import { createTestDatabase, type TestDatabase } from '../../platform/testing/database.ts';
import { insertCustomerScore, insertScoreRun } from '../../platform/testing/scored-customers.ts';
import { attributeOrders } from './attribution.ts';
import { eventPartitions, maintainAnalytics } from './maintenance.ts';

/**
 * The events store in PostgreSQL: monthly partitions with a default one, rollups kept by the
 * insert itself, retention by whole partitions, and attribution of orders to sends.
 */
describe('analytics events store', () => {
  let t: TestDatabase;
  let customer: string;
  let segment: string;
  let campaignA: string;
  let campaignB: string;

  let day = 0;
  /** A ledger row; each on its own day, as the ledger allows one per campaign, customer, channel and day. */
  const send = async (campaignId: string, channel: 'email' | 'sms') => {
    const id = randomUUID();
    day++;
    await t.db('sends').insert({ id, campaign_id: campaignId, customer_id: customer, channel, day, status: 'pending' });
    return id;
  };
  const event = (sendId: string | null, type: string, at: string, extra: Record<string, unknown> = {}) => ({
    occurred_at: new Date(at),
    type,
    customer_id: customer,
    send_id: sendId,
    ...extra,
  });
  const rollup = async (campaignId: string, type: string) =>
    t.db('analytics_daily').where({ campaign_id: campaignId, type }).orderBy('day').select('day', 'events', 'sends');

  beforeAll(async () => {
    t = await createTestDatabase();
    [{ id: segment }] = await t.db('segments').where({ key: 'champions' }).select('id');
    [{ id: customer }] = await t.db('customers').insert({ external_id: 'C-1' }).returning('id');
    await insertCustomerScore(t.db, { customerId: customer, runId: await insertScoreRun(t.db), segmentId: segment });
    const campaign = (name: string) => ({
      name,
      type: 'win_back',
      starts_on: '2026-06-01',
      time_zone: 'America/Chicago',
    });
    [{ id: campaignA }] = await t.db('campaigns').insert(campaign('A')).returning('id');
    [{ id: campaignB }] = await t.db('campaigns').insert(campaign('B')).returning('id');
  });
  afterAll(async () => t?.drop());

  it('keeps an event from a month without a partition in the default partition, and moves it out later', async () => {
    const s = await send(campaignB, 'email');
    await t.db('analytics_events').insert(event(s, 'opened', '2031-03-05T12:00:00Z', { campaign_id: campaignB }));
    const where = async () =>
      (await t.db.raw(`select tableoid::regclass::text as part from analytics_events where send_id = ?`, [s])).rows;
    expect(await where()).toEqual([{ part: 'analytics_events_default' }]);

    await maintainAnalytics(
      t.db,
      { retentionDays: 400, attributionWindows: DEFAULT_ATTRIBUTION_WINDOWS, monthsAhead: 0 },
      new Date('2031-03-10T00:00:00Z'),
    );
    expect(await where()).toEqual([{ part: 'analytics_events_p203103' }]);
  });

  it('rolls events up by day, campaign, channel, segment and type as they are inserted, each send once per stage', async () => {
    const s1 = await send(campaignA, 'email');
    const s2 = await send(campaignA, 'email');
    const base = { campaign_id: campaignA, channel: 'email' };
    // 23:30 in Chicago on June 1st is June 2nd in UTC: days are the campaign's calendar.
    await t
      .db('analytics_events')
      .insert([
        event(s1, 'delivered', '2026-06-02T04:30:00Z', base),
        event(s1, 'opened', '2026-06-02T04:31:00Z', base),
        event(s1, 'opened', '2026-06-02T04:32:00Z', base),
      ]);
    await t
      .db('analytics_events')
      .insert([event(s1, 'opened', '2026-06-02T15:00:00Z', base), event(s2, 'opened', '2026-06-02T16:00:00Z', base)]);
    expect(await rollup(campaignA, 'delivered')).toEqual([{ day: '2026-06-01', events: 1, sends: 1 }]);
    expect(await rollup(campaignA, 'opened')).toEqual([
      { day: '2026-06-01', events: 2, sends: 1 },
      { day: '2026-06-02', events: 2, sends: 1 },
    ]);
    const [row] = await t.db('analytics_daily').where({ campaign_id: campaignA, type: 'delivered' });
    expect(row).toMatchObject({ channel: 'email', segment_id: segment });
  });

  it("counts an event under the segment its customer's score is in when it arrives, none if unscored", async () => {
    const [{ id: other }] = await t.db('customers').insert({ external_id: 'C-2' }).returning('id');
    const [{ id: atRisk }] = await t.db('segments').where({ key: 'at_risk' }).select('id');
    const [{ id: campaign }] = await t
      .db('campaigns')
      .insert({ name: 'C', type: 'win_back', starts_on: '2026-06-01', time_zone: 'America/Chicago' })
      .returning('id');
    const clicked = (at: string) => ({
      occurred_at: new Date(at),
      type: 'clicked',
      customer_id: other,
      campaign_id: campaign,
      channel: 'sms',
    });
    const bySegment = async () =>
      t.db('analytics_daily').where({ campaign_id: campaign }).orderBy('day').select('day', 'segment_id', 'events');

    await t.db('analytics_events').insert(clicked('2026-06-03T15:00:00Z'));
    const runId = await insertScoreRun(t.db);
    await insertCustomerScore(t.db, { customerId: other, runId, segmentId: segment });
    await t.db('analytics_events').insert(clicked('2026-06-04T15:00:00Z'));
    // A later scoring run moves the customer; what was counted stays where it was.
    await t.db('customer_scores').where({ customer_id: other }).update({ segment_id: atRisk });
    await t.db('analytics_events').insert(clicked('2026-06-05T15:00:00Z'));
    await t.db('sends').insert({
      id: randomUUID(),
      campaign_id: campaign,
      customer_id: other,
      channel: 'sms',
      day: 5,
      status: 'sent',
      sent_at: new Date('2026-06-06T15:00:00Z'),
    });

    expect(await bySegment()).toEqual([
      { day: '2026-06-03', segment_id: null, events: 1 },
      { day: '2026-06-04', segment_id: segment, events: 1 },
      { day: '2026-06-05', segment_id: atRisk, events: 1 },
      { day: '2026-06-06', segment_id: atRisk, events: 1 },
    ]);
  });

  it('counts a send as sent once, when the ledger records it sent', async () => {
    const s = await send(campaignB, 'sms');
    await t.db('sends').where({ id: s }).update({ status: 'sending' });
    expect(await rollup(campaignB, 'sent')).toEqual([]);
    await t
      .db('sends')
      .where({ id: s })
      .update({ status: 'sent', sent_at: new Date('2026-06-01T15:00:00Z') });
    await t.db('sends').where({ id: s }).update({ status: 'delivered', delivered_at: new Date() });
    expect(await rollup(campaignB, 'sent')).toEqual([{ day: '2026-06-01', events: 1, sends: 1 }]);
  });

  it('attributes an order to the last touch in its window, across campaigns, once', async () => {
    const email = await send(campaignA, 'email');
    const sms = await send(campaignB, 'sms');
    await t
      .db('analytics_events')
      .insert([
        event(email, 'clicked', '2026-06-10T10:00:00Z', { campaign_id: campaignA, channel: 'email' }),
        event(sms, 'delivered', '2026-06-11T10:00:00Z', { campaign_id: campaignB, channel: 'sms' }),
      ]);
    const orders = await t
      .db('orders')
      .insert([
        // Before any touch: not attributed.
        { external_id: 'O-early', customer_id: customer, ordered_at: new Date('2026-06-10T09:00:00Z'), total: '10.00' },
        // 2 hours after the SMS delivery: the SMS (the latest touch) wins.
        { external_id: 'O-sms', customer_id: customer, ordered_at: new Date('2026-06-11T12:00:00Z'), total: '45.50' },
        // 13 hours after the SMS delivery (past its 12 h) but within the e-mail click's 5 days.
        { external_id: 'O-email', customer_id: customer, ordered_at: new Date('2026-06-11T23:00:00Z'), total: '20.00' },
      ])
      .returning(['id', 'external_id']);
    const ids = orders.map((o) => o.id);
    expect(await attributeOrders(t.db, DEFAULT_ATTRIBUTION_WINDOWS, { orderIds: ids })).toEqual({
      considered: 2,
      attributed: 2,
    });
    expect(await attributeOrders(t.db, DEFAULT_ATTRIBUTION_WINDOWS, { orderIds: ids })).toEqual({
      considered: 0,
      attributed: 0,
    });
    const byOrder = Object.fromEntries(
      (
        await t
          .db('order_attributions as a')
          .join('orders as o', 'o.id', 'a.order_id')
          .select('o.external_id', 'a.send_id', 'a.campaign_id', 'a.touch_type', 'a.revenue')
      ).map((r) => [r.external_id, r]),
    );
    expect(Object.keys(byOrder).sort()).toEqual(['O-email', 'O-sms']);
    expect(byOrder['O-sms']).toMatchObject({ send_id: sms, campaign_id: campaignB, touch_type: 'delivered' });
    expect(byOrder['O-email']).toMatchObject({ send_id: email, campaign_id: campaignA, touch_type: 'clicked' });
    expect(await rollup(campaignB, 'converted')).toEqual([{ day: '2026-06-11', events: 1, sends: 1 }]);
    const [revenue] = await t
      .db('analytics_daily')
      .where({ campaign_id: campaignB, type: 'converted' })
      .pluck('revenue');
    expect(revenue).toBe('45.50');
  });

  it('drops whole month partitions past the retention and keeps the rollups', async () => {
    await t.db.raw(`select analytics_ensure_partition('2024-01-01')`);
    const s = await send(campaignA, 'email');
    await t.db('analytics_events').insert(event(s, 'opened', '2024-01-15T12:00:00Z', { campaign_id: campaignA }));
    await t
      .db('sends')
      .where({ id: s })
      .update({ created_at: new Date('2024-01-15T12:00:00Z') });
    const rollupsBefore = await t.db('analytics_daily').count({ n: '*' });
    const result = await maintainAnalytics(
      t.db,
      { retentionDays: 400, attributionWindows: DEFAULT_ATTRIBUTION_WINDOWS, monthsAhead: 2 },
      new Date('2026-06-15T00:00:00Z'),
    );
    expect(result.partitionsDropped).toContain('analytics_events_p202401');
    // The old send's stage mark goes; the others stay.
    expect(result.sendStagesPruned).toBe(1);
    expect(await t.db('analytics_send_stages').where({ send_id: s })).toEqual([]);
    expect(Number((await t.db('analytics_send_stages').count({ n: '*' }))[0]!.n)).toBeGreaterThan(0);
    expect(result.partitionsEnsured).toEqual([
      'analytics_events_p202606',
      'analytics_events_p202607',
      'analytics_events_p202608',
    ]);
    const names = (await eventPartitions(t.db)).map((p) => p.name);
    expect(names).not.toContain('analytics_events_p202401');
    expect(names).toContain('analytics_events_p202606');
    expect(await t.db('analytics_events').where({ send_id: s })).toEqual([]);
    expect(await t.db('analytics_daily').count({ n: '*' })).toEqual(rollupsBefore);
  });
});
