import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrateToLatest, pendingMigrations, rollbackAll } from '../platform/migrate.ts';
import { createTestDatabase, type TestDatabase } from '../platform/testing/database.ts';
import { insertCampaign, insertCustomer, insertSend } from '../activities/webhooks/testing.ts';

const dataModel = [
  'users',
  'refresh_tokens',
  'api_keys',
  'audit_log',
  'settings',
  'segments',
  'customers',
  'orders',
  'consents',
  'suppressions',
  'campaigns',
  'actions',
  'sends',
  'analytics_events',
  'webhook_receipts',
  'outbox',
  'score_runs',
  'model_fits',
  'customer_scores',
];

async function tables(t: TestDatabase): Promise<string[]> {
  const rows = await t
    .db('information_schema.tables')
    .where({ table_schema: 'public', table_type: 'BASE TABLE' })
    .whereNot('table_name', 'like', 'knex_%')
    .pluck('table_name');
  return rows.sort();
}

describe('migrations', () => {
  let t: TestDatabase;
  beforeAll(async () => {
    t = await createTestDatabase({ migrated: false });
  });
  afterAll(async () => t.drop());

  it('go up, all the way down, and up again', async () => {
    expect(await pendingMigrations(t.db)).not.toHaveLength(0);
    await migrateToLatest(t.db);
    expect(await tables(t)).toEqual(expect.arrayContaining(dataModel));
    expect(await pendingMigrations(t.db)).toEqual([]);
    const seeded = await t.db('segments').count({ n: '*' });
    expect(Number(seeded[0]!.n)).toBe(10);

    await rollbackAll(t.db);
    expect(await tables(t)).toEqual([]);

    await migrateToLatest(t.db);
    expect(await tables(t)).toEqual(expect.arrayContaining(dataModel));
  });

  it('index every foreign key', async () => {
    // A foreign key column without an index whose first column it is makes deletes and joins scan.
    const unindexed = await t.db.raw<{ rows: { table_name: string; column_name: string }[] }>(`
      select c.conrelid::regclass::text as table_name, a.attname as column_name
      from pg_constraint c
      join pg_attribute a on a.attrelid = c.conrelid and a.attnum = c.conkey[1]
      where c.contype = 'f' and c.connamespace = 'public'::regnamespace
        and not exists (
          select 1 from pg_index i where i.indrelid = c.conrelid and i.indkey[0] = c.conkey[1]
        )`);
    expect(unindexed.rows).toEqual([]);
  });

  it('reject data that breaks the rules of the model', async () => {
    const [customer] = await t.db('customers').insert({ external_id: 'C-1' }).returning('id');
    await expect(t.db('customers').insert({ external_id: 'C-1' })).rejects.toThrow(/unique/);
    await expect(
      t.db('users').insert({ email: 'a@example.com', password_hash: 'x', role: 'superuser' }),
    ).rejects.toThrow(/users_role_check/);
    await expect(
      t.db('consents').insert({ customer_id: customer.id, channel: 'fax', status: 'opted_in', source: 'test' }),
    ).rejects.toThrow(/consents_channel_check/);
    await expect(
      t
        .db('campaigns')
        .insert({ name: 'x', type: 'win_back', starts_on: '2026-12-01', time_zone: 'UTC', audience_size: 0 }),
    ).rejects.toThrow(/campaigns_audience_size_check/);
    await t.db('users').insert({ email: 'Admin@Example.com', password_hash: 'x', role: 'admin' });
    await expect(
      t.db('users').insert({ email: 'admin@example.com', password_hash: 'x', role: 'user' }),
    ).rejects.toThrow(/users_email_unique/);
  });

  it('deleting a send, customer or campaign keeps its engagement rows and clears the reference', async () => {
    const campaignId = await insertCampaign(t.db);
    const [a, b] = [await insertCustomer(t.db), await insertCustomer(t.db)];
    const sendA = await insertSend(t.db, { customerId: a.id, campaignId });
    const sendB = await insertSend(t.db, { customerId: b.id });
    const event = (send: typeof sendA) => ({
      occurred_at: new Date(),
      type: 'delivered',
      customer_id: send.customerId,
      campaign_id: send.campaignId,
      send_id: send.id,
      channel: 'email',
    });
    const [eventA] = await t.db('analytics_events').insert(event(sendA)).returning('id');
    const [eventB] = await t.db('analytics_events').insert(event(sendB)).returning('id');
    const [receiptB] = await t
      .db('webhook_receipts')
      .insert({
        provider: 'mailgun',
        event_key: `k-${sendB.id}`,
        event_type: 'delivered',
        send_id: sendB.id,
        payload: {},
      })
      .returning('id');
    const row = (id: string) => t.db('analytics_events').where({ id }).first('customer_id', 'campaign_id', 'send_id');

    await t.db('sends').where({ id: sendB.id }).delete();
    expect(await row(eventB.id)).toEqual({ customer_id: b.id, campaign_id: null, send_id: null });
    expect(await t.db('webhook_receipts').where({ id: receiptB.id }).first('send_id')).toEqual({ send_id: null });
    await t.db('customers').where({ id: b.id }).delete();
    expect(await row(eventB.id)).toEqual({ customer_id: null, campaign_id: null, send_id: null });

    // A campaign's sends go with it: its events keep the customer only.
    await t.db('campaigns').where({ id: campaignId }).delete();
    expect(await row(eventA.id)).toEqual({ customer_id: a.id, campaign_id: null, send_id: null });
  });
});
