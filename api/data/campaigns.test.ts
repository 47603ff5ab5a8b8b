import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../platform/testing/database.ts';
import { getCampaign, getCampaignProgress, ledgerCounts } from './campaigns.ts';

const statuses = ['pending', 'sending', 'sent', 'delivered', 'failed', 'skipped', 'bounced', 'complained'];

describe('campaign ledger counts', () => {
  let t: TestDatabase;
  let customerIds: string[];
  beforeAll(async () => {
    t = await createTestDatabase();
    const customers = Array.from({ length: 60 }, (_, i) => ({ external_id: `ledger-${i}`, first_name: `C${i}` }));
    customerIds = (await t.db('customers').insert(customers).returning('id')).map((r) => r.id as string);
  });
  afterAll(async () => t.drop());

  let campaignId: string;
  beforeEach(async () => {
    [{ id: campaignId }] = await t
      .db('campaigns')
      .insert({ name: 'Weekend bourbon', type: 'custom', starts_on: '2026-11-20', time_zone: 'UTC' })
      .returning('id');
  });

  /** What counting the ledger itself says, in the shape ledgerCounts answers. */
  async function counted(id: string) {
    const rows = (await t
      .db('sends')
      .where({ campaign_id: id })
      .select('channel', 'status')
      .count({ n: '*' })
      .groupBy('channel', 'status')
      .orderBy(['channel', 'status'])) as { channel: string; status: string; n: string }[];
    return rows.map((r) => ({ channel: r.channel, status: r.status, count: Number(r.n) }));
  }

  async function insertSends(id: string, customers: string[], channel = 'email') {
    await t.db('sends').insert(
      customers.map((customerId) => ({
        id: randomUUID(),
        campaign_id: id,
        customer_id: customerId,
        channel,
        day: 0,
      })),
    );
  }

  it('follows inserts, updates and deletes of sends, statement by statement', async () => {
    await insertSends(campaignId, customerIds.slice(0, 40));
    await insertSends(campaignId, customerIds.slice(0, 10), 'sms');
    expect(await ledgerCounts(t.db, campaignId)).toEqual([
      { channel: 'email', status: 'pending', count: 40 },
      { channel: 'sms', status: 'pending', count: 10 },
    ]);

    const ids = (await t.db('sends').where({ campaign_id: campaignId }).orderBy('id').pluck('id')) as string[];
    await t.db('sends').whereIn('id', ids.slice(0, 30)).update({ status: 'sent' });
    await t.db('sends').whereIn('id', ids.slice(0, 12)).update({ status: 'delivered' });
    await t.db('sends').whereIn('id', ids.slice(40)).update({ status: 'failed' });
    // An update that moves nothing adds nothing.
    await t.db('sends').whereIn('id', ids.slice(0, 12)).update({ attempts: 2 });
    await t.db('sends').whereIn('id', ids.slice(30, 35)).delete();
    // A customer's erasure deletes their sends by cascade.
    const [erased] = await t.db('sends').where({ id: ids[35] }).pluck('customer_id');
    await t.db('customers').where({ id: erased }).delete();

    expect(await ledgerCounts(t.db, campaignId)).toEqual(await counted(campaignId));
    expect(await getCampaign(t.db, campaignId)).toMatchObject({ ledger: await counted(campaignId) });
    expect(await getCampaignProgress(t.db, campaignId)).toEqual({
      status: 'draft',
      ledger: await counted(campaignId),
      results: null,
    });
  });

  it('stays right under concurrent writers, and folds its rows when they pile up', async () => {
    const customers = customerIds.slice(40, 60);
    await insertSends(campaignId, customers);
    const ids = (await t.db('sends').where({ campaign_id: campaignId }).pluck('id')) as string[];
    // Each send moves through the statuses in its own statements, all sends at once.
    await Promise.all(
      ids.map(async (id, i) => {
        for (const status of statuses.slice(1, 3 + (i % 6))) await t.db('sends').where({ id }).update({ status });
      }),
    );
    const moves = Number((await t.db('campaign_ledger_counts').where({ campaign_id: campaignId }).count())[0]!.count);
    expect(moves).toBeGreaterThan(20);
    expect(await ledgerCounts(t.db, campaignId)).toEqual(await counted(campaignId));

    for (let round = 0; round < 12; round++) {
      await Promise.all(
        ids.map((id, i) =>
          t
            .db('sends')
            .where({ id })
            .update({ status: statuses[(round + i) % 8] }),
        ),
      );
    }
    const before = Number((await t.db('campaign_ledger_counts').where({ campaign_id: campaignId }).count())[0]!.count);
    expect(before).toBeGreaterThan(200);
    // The read that finds the pile folds it; the next read adds up one row per channel and status.
    expect(await ledgerCounts(t.db, campaignId)).toEqual(await counted(campaignId));
    const after = await t.db('campaign_ledger_counts').where({ campaign_id: campaignId }).select('channel', 'status');
    expect(after.length).toBe((await counted(campaignId)).length);
    expect(await ledgerCounts(t.db, campaignId)).toEqual(await counted(campaignId));
  });

  it('forgets a deleted campaign and an emptied ledger', async () => {
    const living = (await t.db('customers').orderBy('id').limit(5).pluck('id')) as string[];
    await insertSends(campaignId, living);
    await t.db('campaigns').where({ id: campaignId }).delete();
    expect(await t.db('campaign_ledger_counts').where({ campaign_id: campaignId })).toEqual([]);
    expect(await getCampaignProgress(t.db, campaignId)).toBeUndefined();

    const [{ id: other }] = await t
      .db('campaigns')
      .insert({ name: 'Gin week', type: 'custom', starts_on: '2026-11-20', time_zone: 'UTC' })
      .returning('id');
    await insertSends(other, living);
    await t.db.raw('truncate sends cascade');
    expect(await ledgerCounts(t.db, other)).toEqual([]);
  });
});
