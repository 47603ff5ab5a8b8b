import type { Db } from '../../platform/db.ts';

/**
 * Orders sent one by one (or a few at a time) by the store's point of sale or web shop. The
 * store's order id makes a retry harmless: an order id already stored is returned as it is,
 * never changed — as in imports.
 */

export interface IncomingOrder {
  orderId: string;
  /** The store's own customer id, as in customer imports. */
  customerId: string;
  orderedAt: string;
  total: string;
  currency: string;
  itemCount: number;
  category?: string;
  channel?: string;
}

export interface StoredOrder {
  id: string;
  orderId: string;
  created: boolean;
}

export class UnknownCustomers extends Error {
  override name = 'UnknownCustomers';
  readonly indexes: number[];
  constructor(indexes: number[]) {
    super('unknown customers');
    this.indexes = indexes;
  }
}

export async function storeOrders(db: Db, orders: readonly IncomingOrder[]): Promise<StoredOrder[]> {
  return db.transaction(async (trx) => {
    const { rows } = await trx.raw<{ rows: { n: number; customer_id: string | null }[] }>(
      `select i.n::int as n, c.id as customer_id
       from unnest(cast(? as text[])) with ordinality as i(external_id, n)
       left join customers c on c.external_id = i.external_id order by i.n`,
      [orders.map((o) => o.customerId)] as never,
    );
    const unknown = rows.filter((r) => r.customer_id === null).map((r) => r.n - 1);
    if (unknown.length) throw new UnknownCustomers(unknown);
    const { rows: stored } = await trx.raw<{ rows: { id: string; external_id: string; created: boolean }[] }>(
      `with input as (
         select * from unnest(cast(? as text[]), cast(? as uuid[]), cast(? as timestamptz[]), cast(? as numeric[]),
                              cast(? as text[]), cast(? as int[]), cast(? as text[]), cast(? as text[]))
           as i(external_id, customer_id, ordered_at, total, currency, item_count, category, channel)
       ), inserted as (
         insert into orders (external_id, customer_id, ordered_at, total, currency, item_count, category, channel)
         select * from input
         on conflict (external_id) do nothing
         returning id, external_id
       )
       select id, external_id, true as created from inserted
       union all
       select o.id, o.external_id, false from orders o
       where o.external_id = any(cast(? as text[])) and not exists (select 1 from inserted i where i.id = o.id)`,
      [
        orders.map((o) => o.orderId),
        rows.map((r) => r.customer_id),
        orders.map((o) => o.orderedAt),
        orders.map((o) => o.total),
        orders.map((o) => o.currency),
        orders.map((o) => o.itemCount),
        orders.map((o) => o.category ?? null),
        orders.map((o) => o.channel ?? null),
        orders.map((o) => o.orderId),
      ] as never,
    );
    const byExternal = new Map(stored.map((s) => [s.external_id, s]));
    return orders.map((o) => {
      const s = byExternal.get(o.orderId)!;
      return { id: s.id, orderId: o.orderId, created: s.created };
    });
  });
}

export async function attributionsOf(db: Db, orderIds: string[]) {
  const rows = (await db('order_attributions')
    .whereIn('order_id', orderIds)
    .select(
      'order_id',
      'send_id as sendId',
      'campaign_id as campaignId',
      'channel',
      'touch_type as touch',
      'touched_at as touchedAt',
    )) as { order_id: string; sendId: string; campaignId: string; channel: string; touch: string; touchedAt: Date }[];
  return new Map(rows.map(({ order_id, ...a }) => [order_id, a]));
}
