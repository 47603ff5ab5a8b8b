import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApi, type TestApi } from '../../platform/testing/api.ts';
import { createTestDatabase, type TestDatabase } from '../../platform/testing/database.ts';

describe('POST /api/orders', () => {
  let t: TestDatabase;
  let api: TestApi;
  let key: string;
  let customerId: string;
  let campaignId: string;
  let sendId: string;

  beforeAll(async () => {
    t = await createTestDatabase();
    api = await startTestApi(t.db);
    key = (await api.services.apiKeys.create({ name: 'point of sale', role: 'manager', scopes: ['orders'] })).key;
    [{ id: customerId }] = await t.db('customers').insert({ external_id: 'C-7' }).returning('id');
    [{ id: campaignId }] = await t
      .db('campaigns')
      .insert({ name: 'Win-back', type: 'win_back', starts_on: '2026-05-01', time_zone: 'America/Chicago' })
      .returning('id');
    sendId = randomUUID();
    await t
      .db('sends')
      .insert({ id: sendId, campaign_id: campaignId, customer_id: customerId, channel: 'sms', day: 0 });
    await t.db('analytics_events').insert({
      occurred_at: new Date('2026-05-01T15:00:00Z'),
      type: 'clicked',
      customer_id: customerId,
      campaign_id: campaignId,
      send_id: sendId,
      channel: 'sms',
    });
  });
  afterAll(async () => {
    await api?.close();
    await t?.drop();
  });

  const post = (body: unknown, token = key) => api.request('POST', '/api/orders', { token, body });

  it('stores an order and attributes it to the message that earned it, with an API key scoped to orders', async () => {
    const order = { orderId: 'POS-1', customerId: 'C-7', orderedAt: '2026-05-01T20:00:00-05:00', total: '64.90' };
    const res = await post(order);
    expect(res.status).toBe(201);
    const body = await res.json();
    expect(body).toMatchObject({
      orderId: 'POS-1',
      created: true,
      attribution: { sendId, campaignId, channel: 'sms', touch: 'clicked' },
    });
    const stored = await t.db('orders').where({ external_id: 'POS-1' }).first('total', 'currency', 'customer_id');
    expect(stored).toEqual({ total: '64.90', currency: 'USD', customer_id: customerId });

    // A retry answers the same and changes nothing.
    const again = await post({ ...order, total: '1.00' });
    expect(again.status).toBe(200);
    expect(await again.json()).toMatchObject({ id: body.id, created: false, attribution: { sendId } });
    expect(await t.db('orders').where({ external_id: 'POS-1' }).pluck('total')).toEqual(['64.90']);
    expect(await t.db('analytics_events').where({ type: 'converted' }).count({ n: '*' })).toEqual([{ n: 1 }]);
  });

  it('takes a batch, and leaves an order outside every window unattributed', async () => {
    const res = await post({
      orders: [
        { orderId: 'POS-2', customerId: 'C-7', orderedAt: '2026-05-20T12:00:00Z', total: 12 },
        { orderId: 'POS-1', customerId: 'C-7', orderedAt: '2026-05-01T20:00:00-05:00', total: '64.90' },
      ],
    });
    expect(res.status).toBe(201);
    const { orders } = await res.json();
    expect(orders.map((o: any) => [o.orderId, o.created, o.attribution?.sendId ?? null])).toEqual([
      ['POS-2', true, null],
      ['POS-1', false, sendId],
    ]);
  });

  it('refuses bad input and unknown customers with problem+json naming the field', async () => {
    const bad = await post({ orderId: 'POS-3', customerId: 'C-7', orderedAt: 'yesterday', total: -1 });
    expect(bad.status).toBe(400);
    expect(bad.headers.get('content-type')).toContain('application/problem+json');
    const unknown = await post({
      orders: [
        { orderId: 'POS-4', customerId: 'C-7', orderedAt: '2026-05-02T12:00:00Z', total: 5 },
        { orderId: 'POS-5', customerId: 'NOPE', orderedAt: '2026-05-02T12:00:00Z', total: 5 },
      ],
    });
    expect(unknown.status).toBe(422);
    expect((await unknown.json()).errors).toEqual([
      { path: 'body.orders.1.customerId', message: 'unknown customer NOPE' },
    ]);
    expect(await t.db('orders').where({ external_id: 'POS-4' })).toEqual([]);
    const twice = await post({
      orders: [
        { orderId: 'POS-6', customerId: 'C-7', orderedAt: '2026-05-02T12:00:00Z', total: 5 },
        { orderId: 'POS-6', customerId: 'C-7', orderedAt: '2026-05-02T12:00:00Z', total: 5 },
      ],
    });
    expect(twice.status).toBe(400);
  });

  it('attributes orders that arrive by import the same way', async () => {
    const res = await api.request('POST', '/api/imports/orders', {
      token: await api.tokenFor('manager'),
      body: {
        rows: [
          { order_id: 'IMP-1', customer_id: 'C-7', ordered_at: '2026-05-02T09:00:00Z', total: '20.00' },
          { order_id: 'IMP-2', customer_id: 'C-7', ordered_at: '2026-04-30T09:00:00Z', total: '20.00' },
        ],
      },
    });
    expect(res.status).toBe(201);
    const attributed = await t
      .db('order_attributions as a')
      .join('orders as o', 'o.id', 'a.order_id')
      .whereIn('o.external_id', ['IMP-1', 'IMP-2'])
      .select('o.external_id', 'a.send_id');
    expect(attributed).toEqual([{ external_id: 'IMP-1', send_id: sendId }]);
  });

  it('refuses an API key without the orders scope', async () => {
    const readOnly = (await api.services.apiKeys.create({ name: 'reports', role: 'manager', scopes: ['read'] })).key;
    const res = await post(
      { orderId: 'POS-9', customerId: 'C-7', orderedAt: '2026-05-02T12:00:00Z', total: 5 },
      readOnly,
    );
    expect(res.status).toBe(403);
  });
});
