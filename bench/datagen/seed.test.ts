import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../platform/testing/database.ts';
import { generateLiquorStore, type GeneratedCustomer } from './liquor-store.ts';
import { seedDemo, type SeedProgress } from './seed.ts';

const asOf = new Date('2026-11-27T06:00:00Z');
const options = { seed: 42, customerCount: 300, asOf };

async function counts(t: TestDatabase) {
  const [row] = await t.db
    .raw<{ rows: { customers: number; orders: number; consents: number }[] }>(
      `select (select count(*) from customers) as customers, (select count(*) from orders) as orders,
            (select count(*) from consents) as consents`,
    )
    .then((r) => r.rows);
  return row!;
}

describe('seedDemo', () => {
  let t: TestDatabase;
  let generated: GeneratedCustomer[];
  beforeAll(async () => {
    t = await createTestDatabase();
    generated = [...generateLiquorStore(options).customers()];
  });
  afterAll(async () => {
    await t.drop();
  });

  it('inserts the generated customers, orders and consents in batches, reporting progress', async () => {
    const progress: SeedProgress[] = [];
    const result = await seedDemo(t.db, { ...options, batchSize: 128, onProgress: (p) => progress.push(p) });

    const orders = generated.reduce((n, c) => n + c.orders.length, 0);
    const consents = generated.reduce((n, c) => n + c.consents.length, 0);
    expect(result.customers).toEqual({ inserted: 300, alreadyPresent: 0 });
    expect(result.orders).toEqual({ inserted: orders, alreadyPresent: 0 });
    expect(result.consents).toEqual({ inserted: consents });
    expect(result.elapsedMs).toBeGreaterThan(0);
    expect(await counts(t)).toEqual({ customers: 300, orders, consents });
    expect(progress.map((p) => p.customersDone)).toEqual([128, 256, 300]);
    expect(progress.at(-1)).toMatchObject({ customerCount: 300, customersInserted: 300, ordersInserted: orders });
  });

  it('stores the rows exactly as generated', async () => {
    const sample = generated[7]!;
    const customer = await t.db('customers').where({ external_id: sample.customer.external_id }).first();
    expect(customer).toMatchObject({
      id: sample.customer.id,
      email: sample.customer.email,
      phone: sample.customer.phone,
      first_name: sample.customer.first_name,
      age_verified: sample.customer.age_verified,
      time_zone: 'America/Chicago',
    });
    expect(customer.created_at.getTime()).toBe(Date.parse(sample.customer.created_at));
    const orders = await t.db('orders').where({ customer_id: sample.customer.id }).orderBy('ordered_at');
    expect(orders.map((o: { external_id: string }) => o.external_id)).toEqual(sample.orders.map((o) => o.external_id));
    expect(orders.map((o: { total: string }) => o.total)).toEqual(sample.orders.map((o) => o.total));
    expect(orders.map((o: { ordered_at: Date }) => o.ordered_at.getTime())).toEqual(
      sample.orders.map((o) => Date.parse(o.ordered_at)),
    );
    const { rows } = await t.db.raw<{ rows: { sum: string }[] }>('select sum(total)::text as sum from orders');
    const cents = generated.flatMap((c) => c.orders).reduce((s, o) => s + Math.round(Number(o.total) * 100), 0);
    expect(rows[0]!.sum).toBe((cents / 100).toFixed(2));
  });

  it('changes nothing when run again with the same seed', async () => {
    const before = await counts(t);
    const fingerprint = () =>
      t.db.raw<{ rows: { digest: string }[] }>(
        `select md5(string_agg(o.external_id || o.customer_id || o.total || o.ordered_at, ',' order by o.external_id)) as digest
           from orders o`,
      );
    const digest = (await fingerprint()).rows[0]!.digest;
    const again = await seedDemo(t.db, options);
    expect(again.customers).toEqual({ inserted: 0, alreadyPresent: 300 });
    expect(again.orders).toEqual({ inserted: 0, alreadyPresent: before.orders });
    expect(again.consents).toEqual({ inserted: 0 });
    expect(await counts(t)).toEqual(before);
    expect((await fingerprint()).rows[0]!.digest).toBe(digest);
  });

  it('adds only the new customers when the count grows, and leaves existing customers alone', async () => {
    const before = await counts(t);
    // A customer from a real import that happens to have a demo external id.
    const [imported] = await t
      .db('customers')
      .insert({ external_id: 'C000301', email: 'real@example.com', time_zone: 'America/Chicago' })
      .returning('id');
    const bigger = [...generateLiquorStore({ ...options, customerCount: 320 }).customers()].slice(300);
    const result = await seedDemo(t.db, { ...options, customerCount: 320 });
    expect(result.customers).toEqual({ inserted: 19, alreadyPresent: 301 });
    const newOrders = bigger.slice(1).reduce((n, c) => n + c.orders.length, 0);
    expect(result.orders.inserted).toBe(newOrders);
    const after = await counts(t);
    expect(after.customers).toBe(before.customers + 20);
    expect(after.orders).toBe(before.orders + newOrders);
    expect(await t.db('orders').where({ customer_id: imported.id }).count({ n: '*' })).toEqual([{ n: 0 }]);
    expect(await t.db('customers').where({ external_id: 'C000301' }).first()).toMatchObject({
      email: 'real@example.com',
    });
  });

  it('leaves the data consistent with the schema', async () => {
    const check = async (sql: string) => (await t.db.raw<{ rows: { n: number }[] }>(sql)).rows[0]!.n;
    expect(
      await check(
        "select count(*) as n from customers c where not exists (select 1 from orders o where o.customer_id = c.id) and c.email is distinct from 'real@example.com'",
      ),
    ).toBe(0);
    expect(
      await check('select count(*) - count(distinct lower(email)) as n from customers where email is not null'),
    ).toBe(0);
    expect(await check("select count(*) as n from customers where phone !~ '^\\+1[2-9][0-9]{9}$'")).toBe(0);
    expect(await check('select count(*) as n from orders where total < 0 or item_count < 1')).toBe(0);
    expect(
      await check(
        "select count(*) as n from consents c join customers u on u.id = c.customer_id where (c.channel = 'email' and u.email is null) or (c.channel = 'sms' and u.phone is null)",
      ),
    ).toBe(0);
    expect(
      await check(
        'select count(*) as n from consents c join customers u on u.id = c.customer_id where c.recorded_at < u.created_at',
      ),
    ).toBe(0);
  });
});
