import {
  attributeOrder,
  longestWindowMs,
  type AttributionWindows,
  type Touch,
} from '../../domain/analytics/attribution.ts';
import type { Db } from '../../platform/db.ts';

/**
 * Attributes orders to the message that earned them (domain/analytics/attribution.ts), in
 * batches of orders read by id. Each attributed order gets an `order_attributions` row naming
 * its send and a `converted` event carrying its revenue — in one statement, so the daily rollups
 * count it exactly once. An order already attributed is left as it is: re-running is harmless.
 */

export type OrderFilter = { orderIds: readonly string[] } | { createdSince: Date } | { orderedSince: Date };

interface Candidate {
  order_id: string;
  customer_id: string;
  ordered_at: Date;
  total: string;
  touches: { sendId: string; campaignId: string | null; channel: 'email' | 'sms'; type: string; at: string }[];
}

const BATCH = 1_000;

function touchTypes(windows: AttributionWindows): string[] {
  return [...new Set(Object.values(windows).flatMap((byType) => Object.keys(byType ?? {})))];
}

function filterSql(filter: OrderFilter): { sql: string; binding: unknown } {
  if ('orderIds' in filter) return { sql: 'o.id = any(cast(:f as uuid[]))', binding: [...filter.orderIds] };
  if ('createdSince' in filter) return { sql: 'o.created_at >= cast(:f as timestamptz)', binding: filter.createdSince };
  return { sql: 'o.ordered_at >= cast(:f as timestamptz)', binding: filter.orderedSince };
}

export async function attributeOrders(
  db: Db,
  windows: AttributionWindows,
  filter: OrderFilter,
): Promise<{ considered: number; attributed: number }> {
  const types = touchTypes(windows);
  const lookbackMs = longestWindowMs(windows);
  if (types.length === 0 || lookbackMs === 0) return { considered: 0, attributed: 0 };
  const where = filterSql(filter);
  let after = '00000000-0000-0000-0000-000000000000';
  let considered = 0;
  let attributed = 0;
  for (;;) {
    // Only orders with at least one touch in the longest window come back.
    const { rows } = await db.raw<{ rows: Candidate[] }>(
      `select o.id as order_id, o.customer_id, o.ordered_at, o.total::text as total,
              json_agg(json_build_object('sendId', e.send_id, 'campaignId', e.campaign_id, 'channel', e.channel,
                                         'type', e.type, 'at', e.occurred_at)) as touches
       from orders o
       join analytics_events e
         on e.customer_id = o.customer_id and e.send_id is not null and e.type = any(cast(:types as text[]))
        and e.occurred_at >= o.ordered_at - make_interval(secs => :lookback) and e.occurred_at <= o.ordered_at
       where ${where.sql} and o.id > cast(:after as uuid)
         and not exists (select 1 from order_attributions a where a.order_id = o.id)
       group by o.id
       order by o.id
       limit ${BATCH}`,
      { types, lookback: lookbackMs / 1000, after, f: where.binding as never },
    );
    if (rows.length === 0) break;
    after = rows.at(-1)!.order_id;
    considered += rows.length;
    const chosen = rows.flatMap((r) => {
      const touches: Touch[] = r.touches.map((t) => ({ ...t, at: new Date(t.at) }));
      const hit = attributeOrder(r.ordered_at, touches, windows);
      return hit ? [{ order: r, touch: hit.touch }] : [];
    });
    if (chosen.length > 0) {
      const { rows: written } = await db.raw<{ rows: { n: number }[] }>(
        `with a as (
           insert into order_attributions (order_id, send_id, campaign_id, customer_id, channel, touch_type, touched_at,
                                           ordered_at, revenue)
           select * from unnest(cast(? as uuid[]), cast(? as uuid[]), cast(? as uuid[]), cast(? as uuid[]),
                                cast(? as text[]), cast(? as text[]), cast(? as timestamptz[]),
                                cast(? as timestamptz[]), cast(? as numeric[]))
           on conflict (order_id) do nothing
           returning *
         ), e as (
           insert into analytics_events (occurred_at, type, customer_id, campaign_id, send_id, channel, revenue, properties)
           select ordered_at, 'converted', customer_id, campaign_id, send_id, channel, revenue,
                  jsonb_build_object('orderId', order_id, 'touch', touch_type, 'touchedAt', touched_at)
           from a
           returning 1
         )
         select count(*)::int as n from e`,
        [
          chosen.map((c) => c.order.order_id),
          chosen.map((c) => c.touch.sendId),
          chosen.map((c) => c.touch.campaignId),
          chosen.map((c) => c.order.customer_id),
          chosen.map((c) => c.touch.channel),
          chosen.map((c) => c.touch.type),
          chosen.map((c) => c.touch.at),
          chosen.map((c) => c.order.ordered_at),
          chosen.map((c) => c.order.total),
        ] as never,
      );
      attributed += written[0]!.n;
    }
    if (rows.length < BATCH) break;
  }
  return { considered, attributed };
}
