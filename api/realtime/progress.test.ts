import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../platform/testing/database.ts';
import { campaignProgressSnapshots } from './progress.ts';

describe('real-time progress snapshots', () => {
  let t: TestDatabase;
  let customers: string[];
  beforeAll(async () => {
    t = await createTestDatabase();
    const rows = Array.from({ length: 30 }, (_, i) => ({ external_id: `snap-${i}`, first_name: `C${i}` }));
    customers = (await t.db('customers').insert(rows).returning('id')).map((r) => r.id as string);
  });
  afterAll(async () => t.drop());

  const campaign = async (name: string) =>
    (
      await t
        .db('campaigns')
        .insert({ name, type: 'custom', starts_on: '2026-11-20', time_zone: 'UTC', status: 'active' })
        .returning('id')
    )[0].id as string;

  const send = (campaignId: string, customerId: string, day: number, channel = 'email') => ({
    id: randomUUID(),
    campaign_id: campaignId,
    customer_id: customerId,
    channel,
    day,
  });

  /** The snapshot, and whether reading it touched the ledger itself. */
  async function snapshot(ids: string[]) {
    const statements: string[] = [];
    const seen = (q: { sql: string }) => statements.push(q.sql);
    t.db.on('query', seen);
    try {
      return {
        snapshots: await campaignProgressSnapshots(t.db, ids),
        readSends: statements.some((s) => /"sends"/.test(s)),
      };
    } finally {
      t.db.off('query', seen);
    }
  }

  it("reads each campaign's counts and latest day from the kept counts, not the ledger", async () => {
    const [a, b] = [await campaign('Rye week'), await campaign('Gin week')];
    await t.db('sends').insert(customers.slice(0, 10).map((c) => send(a, c, 0)));
    await t.db('sends').insert(customers.slice(0, 4).map((c) => send(a, c, 2, 'sms')));
    await t.db('sends').insert(customers.slice(0, 3).map((c) => send(b, c, 0)));
    const emails = (await t.db('sends').where({ campaign_id: a, channel: 'email' }).pluck('id')) as string[];
    await t.db('sends').whereIn('id', emails.slice(0, 6)).update({ status: 'sent' });
    const unknown = randomUUID();

    const { snapshots, readSends } = await snapshot([a, b, unknown]);
    expect(readSends).toBe(false);
    expect([...snapshots.keys()].sort()).toEqual([a, b].sort());
    expect(snapshots.get(a)).toMatchObject({
      status: 'active',
      day: 2,
      counts: { pending: 8, sent: 6 },
      ledger: [
        { channel: 'email', status: 'pending', count: 4 },
        { channel: 'email', status: 'sent', count: 6 },
        { channel: 'sms', status: 'pending', count: 4 },
      ],
    });
    expect(snapshots.get(b)).toMatchObject({ day: 0, counts: { pending: 3 } });
  });

  it('folds piled-up count rows and keeps the latest day through the fold', async () => {
    const id = await campaign('Tequila week');
    await t.db('sends').insert(customers.slice(0, 5).map((c) => send(id, c, 0)));
    await t.db('sends').insert(customers.slice(5, 10).map((c) => send(id, c, 3)));
    const ids = (await t.db('sends').where({ campaign_id: id }).pluck('id')) as string[];
    for (let round = 0; round < 120; round++) {
      await t
        .db('sends')
        .whereIn('id', ids.slice(0, 3))
        .update({ status: round % 2 ? 'sent' : 'delivered' });
    }
    const rows = async () =>
      Number((await t.db('campaign_ledger_counts').where({ campaign_id: id }).count())[0]!.count);
    expect(await rows()).toBeGreaterThan(200);
    const first = (await snapshot([id])).snapshots.get(id);
    expect(await rows()).toBe(2);
    const again = (await snapshot([id])).snapshots.get(id);
    expect(again).toMatchObject({ day: 3, counts: { pending: 7, sent: 3 } });
    expect(again?.ledger).toEqual(first?.ledger);
  });
});
