import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../platform/testing/database.ts';
import { importCustomers, importOrders } from './index.ts';
import { csv, csvOptions, jsonOptions, lines } from './testing.ts';

let t: TestDatabase;
beforeAll(async () => {
  t = await createTestDatabase();
});
afterAll(async () => t.drop());
beforeEach(async () => {
  await t.db.raw('truncate customers, imports cascade');
  await importCustomers(t.db, csv(lines('id,email', 'C-1,a@example.com', 'C-2,b@example.com')), csvOptions);
});

async function orders() {
  const result = await t.db.raw<{ rows: Record<string, unknown>[] }>(`
    select o.external_id, c.external_id as customer, to_json(o.ordered_at) #>> '{}' as ordered_at,
           o.total::text, o.currency, o.item_count, o.category
    from orders o join customers c on c.id = o.customer_id
    order by o.external_id`);
  return result.rows;
}

describe('importOrders', () => {
  it('imports orders, reading times without an offset in the store time zone', async () => {
    const file = lines(
      'Invoice,Customer ID,Order Date,sale_dollars,category_name,Qty',
      'INV-1,C-1,2026-01-31 18:05,"$1,234.5",STRAIGHT BOURBON WHISKIES,2',
      'INV-2,C-2,2026-07-04T18:05:00,19.99,  Imported Vodka ,',
      'INV-3,C-1,2026-07-04T18:05:00Z,7,,1',
    );
    const report = await importOrders(t.db, csv(file), csvOptions);

    expect(report).toMatchObject({
      kind: 'orders',
      status: 'completed',
      rowsTotal: 3,
      rowsAccepted: 3,
      rowsRejected: 0,
      rowsInserted: 3,
      rowsDuplicate: 0,
    });
    expect(await orders()).toEqual([
      {
        external_id: 'INV-1',
        customer: 'C-1',
        ordered_at: '2026-02-01T00:05:00+00:00',
        total: '1234.50',
        currency: 'USD',
        item_count: 2,
        category: 'STRAIGHT BOURBON WHISKIES',
      },
      {
        external_id: 'INV-2',
        customer: 'C-2',
        ordered_at: '2026-07-04T23:05:00+00:00',
        total: '19.99',
        currency: 'USD',
        item_count: 1,
        category: 'Imported Vodka',
      },
      {
        external_id: 'INV-3',
        customer: 'C-1',
        ordered_at: '2026-07-04T18:05:00+00:00',
        total: '7.00',
        currency: 'USD',
        item_count: 1,
        category: null,
      },
    ]);
  });

  it('rejects an order for an unknown customer on its own and commits the rest of its batch', async () => {
    const file = lines(
      'order_id,customer_id,ordered_at,total',
      'O-1,C-1,2026-01-31,10',
      'O-2,C-404,2026-01-31,20',
      'O-3,C-2,2026-01-31,30',
    );
    const report = await importOrders(t.db, csv(file), csvOptions);

    expect(report).toMatchObject({ status: 'completed', rowsAccepted: 2, rowsRejected: 1, rowsInserted: 2 });
    expect(report.rejections).toEqual([
      { line: 3, column: 'customer_id', value: 'C-404', reason: 'unknown customer_id C-404' },
    ]);
    expect((await orders()).map((o) => o.external_id)).toEqual(['O-1', 'O-3']);
  });

  it('reports each bad cell with its line and column', async () => {
    const file = lines(
      'order_id,customer_id,date,amount,category',
      'O-1,C-1,2026-01-31,-5,Gin',
      'O-2,C-1,31/01/2026,1.999,Rum',
      'O-3,,2026-01-31,12,',
      'O-4,C-2,2026-01-31,12,Tequila',
    );
    const report = await importOrders(t.db, csv(file), csvOptions);

    expect(report.rejections).toEqual([
      { line: 2, column: 'amount', value: '-5', reason: 'negative amounts are not allowed' },
      {
        line: 3,
        column: 'date',
        value: '31/01/2026',
        reason: 'not a real date (dates with slashes are read as MM/DD/YYYY)',
      },
      { line: 3, column: 'amount', value: '1.999', reason: 'more than 2 decimal places' },
      { line: 4, column: 'customer_id', value: '', reason: 'required' },
    ]);
    expect(report).toMatchObject({ rowsTotal: 4, rowsAccepted: 1, rowsRejected: 3 });
    expect((await orders()).map((o) => o.external_id)).toEqual(['O-4']);
  });

  it('keeps the first of orders that share an order id, within a batch, across batches and across files', async () => {
    const file = lines(
      'order_id,customer_id,ordered_at,total',
      'O-1,C-1,2026-01-31,10',
      'O-1,C-2,2026-01-31,99', // same batch
      'O-2,C-1,2026-01-31,20',
      'O-1,C-2,2026-02-01,98', // next batch
    );
    const first = await importOrders(t.db, csv(file), { ...csvOptions, batchSize: 3 });
    expect(first).toMatchObject({ rowsAccepted: 4, rowsInserted: 2, rowsDuplicate: 2 });

    const second = await importOrders(
      t.db,
      csv(lines('order_id,customer_id,ordered_at,total', 'O-2,C-2,2026-03-01,1', 'O-3,C-2,2026-03-01,30')),
      csvOptions,
    );
    expect(second).toMatchObject({ rowsAccepted: 2, rowsInserted: 1, rowsDuplicate: 1 });
    expect((await orders()).map((o) => [o.external_id, o.customer, o.total])).toEqual([
      ['O-1', 'C-1', '10.00'],
      ['O-2', 'C-1', '20.00'],
      ['O-3', 'C-2', '30.00'],
    ]);
  });

  it('changes nothing when the same file is imported again', async () => {
    const file = lines('order_id,customer_id,ordered_at,total', 'O-1,C-1,2026-01-31,10', 'O-2,C-2,2026-01-31,20');
    await importOrders(t.db, csv(file), csvOptions);
    const versions = () => t.db.raw('select external_id, xmin::text from orders order by external_id');
    const before = await versions();

    const again = await importOrders(t.db, csv(file), csvOptions);

    expect(again).toMatchObject({ status: 'completed', rowsAccepted: 2, rowsInserted: 0, rowsDuplicate: 2 });
    expect((await versions()).rows).toEqual(before.rows);
  });

  it('gives the same orders, counts and reasons for the same rows sent as JSON', async () => {
    const file = lines(
      'order_id,customer_id,ordered_at,total,item_count',
      'O-1,C-1,2026-03-08T02:30:00,10.5,3',
      'O-2,C-404,2026-01-31,20,1',
      'O-3,C-2,2026-01-31,abc,1',
    );
    const json = [
      { order_id: 'O-1', customer_id: 'C-1', ordered_at: '2026-03-08T02:30:00', total: 10.5, item_count: 3 },
      { order_id: 'O-2', customer_id: 'C-404', ordered_at: '2026-01-31', total: '20', item_count: 1 },
      { order_id: 'O-3', customer_id: 'C-2', ordered_at: '2026-01-31', total: 'abc', item_count: 1 },
    ];
    const fromCsv = await importOrders(t.db, csv(file), csvOptions);
    const stored = await orders();
    await t.db('orders').delete();

    const fromJson = await importOrders(t.db, json, jsonOptions);

    expect(await orders()).toEqual(stored);
    const counts = (r: typeof fromCsv) => [r.status, r.rowsTotal, r.rowsAccepted, r.rowsRejected, r.rowsInserted];
    expect(counts(fromJson)).toEqual(counts(fromCsv));
    expect(fromJson.rejections).toEqual(fromCsv.rejections.map((r) => ({ ...r, line: r.line - 1 })));
  });
});
