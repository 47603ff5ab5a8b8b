import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApi, type TestApi, type TestResponse } from '../../platform/testing/api.ts';
import { createTestDatabase, type TestDatabase } from '../../platform/testing/database.ts';

const customersCsv = [
  'customer_id,email,phone,first_name,date_of_birth,email_consent,sms_consent',
  'C1,ann@example.com,(312) 555-0101,Ann,1980-04-02,yes,yes',
  'C2,not-an-email,312 555 0102,Bob,1990-01-01,yes,no',
  'C3,cy@example.com,,Cy,,no,',
].join('\n');

describe('imports API', () => {
  let t: TestDatabase;
  let api: TestApi;
  let manager: string;
  beforeAll(async () => {
    t = await createTestDatabase();
    api = await startTestApi(t.db);
    manager = await api.tokenFor('manager');
  });
  afterAll(async () => {
    await api?.close();
    await t?.drop();
  });

  const post = (kind: string, body: string, type: string, query = '') =>
    fetch(`${api.url}/api/imports/${kind}${query}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${manager}`, 'content-type': type },
      body,
    }) as Promise<TestResponse>;

  it('imports a CSV of customers, commits the good rows and reports the bad ones by line and column', async () => {
    const res = await post('customers', customersCsv, 'text/csv', '?filename=crm.csv');
    expect(res.status).toBe(201);
    const report = await res.json();
    expect(report).toMatchObject({ kind: 'customers', source: 'csv', filename: 'crm.csv', status: 'completed' });
    expect(report).toMatchObject({ rowsTotal: 3, rowsAccepted: 2, rowsRejected: 1 });
    expect(report.rejections).toEqual([expect.objectContaining({ line: 3, column: 'email', value: 'not-an-email' })]);
    expect(report.scoring).toMatchObject({ workflowId: expect.stringMatching(/^score-customers\//) });
    const stored = await t.db('customers').orderBy('external_id').select('external_id', 'phone', 'email');
    expect(stored).toEqual([
      { external_id: 'C1', phone: '+13125550101', email: 'ann@example.com' },
      { external_id: 'C3', phone: null, email: 'cy@example.com' },
    ]);

    const again = await (await post('customers', customersCsv, 'text/csv')).json();
    expect(again).toMatchObject({ rowsAccepted: 2, rowsInserted: 0, rowsUpdated: 0, rowsUnchanged: 2 });

    const fetched = await api.request('GET', `/api/imports/${report.id}`, { token: manager });
    expect(await fetched.json()).toMatchObject({ id: report.id, rowsRejected: 1 });
    const list = await (await api.request('GET', '/api/imports', { token: await api.tokenFor('user') })).json();
    expect(list.items.map((i: any) => i.id)).toContain(report.id);
  });

  it('takes the same data as JSON rows, and rejects orders of unknown customers', async () => {
    const rows = [
      {
        order_id: 'O1',
        customer_id: 'C1',
        ordered_at: '2026-11-20T19:30:00-06:00',
        total: '$42.50',
        category: 'VODKA 80 PROOF',
      },
      { order_id: 'O2', customer_id: 'C404', ordered_at: '2026-11-21', total: '10.00' },
    ];
    const res = await post('orders', JSON.stringify({ rows }), 'application/json');
    expect(res.status).toBe(201);
    const report = await res.json();
    expect(report).toMatchObject({ source: 'json', rowsAccepted: 1, rowsRejected: 1 });
    expect(report.rejections[0]).toMatchObject({
      line: 2,
      reason: expect.stringContaining('unknown customer_id C404'),
    });
    const order = await t.db('orders').where({ external_id: 'O1' }).first();
    expect(order.total).toBe('42.50');
    expect(order.ordered_at.toISOString()).toBe('2026-11-21T01:30:00.000Z');
  });

  it('refuses files it cannot read, with a reason and nothing written', async () => {
    const missing = await post('orders', 'order_id,total\nO9,1.00\n', 'text/csv');
    expect(missing.status).toBe(422);
    expect((await missing.json()).error ?? '').toMatch(/customer_id/);
    const xml = await post('orders', '<orders/>', 'application/xml');
    expect(xml.status).toBe(415);
    expect(await t.db('orders').where({ external_id: 'O9' }).first()).toBeUndefined();
  });
});
