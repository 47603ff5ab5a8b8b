import { liftOf, type GroupSummary, type LiftResult } from '../../domain/analytics/lift.ts';
import type { Db } from '../../platform/db.ts';

/**
 * What the dashboard and analytics charts read. Everything but the holdout results comes from
 * the daily rollups and the campaign's own actions, never from raw events: per campaign and
 * channel (`analytics_campaign_daily`) for charts across campaigns, per segment as well
 * (`analytics_daily`) when a funnel is split by segment.
 *
 * Stages count sends (each send once per stage, on the day it first reached it); `converted`
 * counts attributed orders and `revenue` their totals.
 */

export const funnelDimensions = ['day', 'channel', 'segment'] as const;
export type FunnelDimension = (typeof funnelDimensions)[number];

export interface RangeFilter {
  from: string;
  to: string;
  campaignIds?: string[];
  channel?: 'email' | 'sms';
}

const stageColumns = `
  coalesce(sum(sends) filter (where type = 'sent'), 0)::int as sent,
  coalesce(sum(sends) filter (where type = 'delivered'), 0)::int as delivered,
  coalesce(sum(sends) filter (where type = 'opened'), 0)::int as opened,
  coalesce(sum(sends) filter (where type = 'clicked'), 0)::int as clicked,
  coalesce(sum(sends) filter (where type in ('failed', 'bounced')), 0)::int as failed,
  coalesce(sum(events) filter (where type = 'converted'), 0)::int as converted,
  coalesce(sum(revenue) filter (where type = 'converted'), 0)::text as revenue`;

export interface DailyPoint {
  day: string;
  sent: number;
  delivered: number;
  opened: number;
  clicked: number;
  failed: number;
  converted: number;
  revenue: string;
}

/** One point per day of the range (days without activity are zeros), in the store's calendar. */
export async function timeSeries(db: Db, f: RangeFilter): Promise<DailyPoint[]> {
  const { rows } = await db.raw<{ rows: DailyPoint[] }>(
    `with d as (
       select day, type, sends, events, revenue from analytics_campaign_daily
       where day between cast(:from as date) and cast(:to as date)
         and (cast(:ids as uuid[]) is null or campaign_id = any(cast(:ids as uuid[])))
         and (cast(:channel as text) is null or channel = cast(:channel as text))
     )
     select to_char(g.day, 'YYYY-MM-DD') as day, ${stageColumns}
     from generate_series(cast(:from as date), cast(:to as date), interval '1 day') as g(day)
     left join d on d.day = g.day
     group by g.day order by g.day`,
    { from: f.from, to: f.to, ids: f.campaignIds ?? null, channel: f.channel ?? null },
  );
  return rows;
}

export interface FunnelRow {
  campaignId: string;
  day?: string;
  channel?: string | null;
  segment?: string | null;
  planned: number;
  sent: number;
  delivered: number;
  opened: number;
  clicked: number;
  failed: number;
  converted: number;
  revenue: string;
}

/**
 * planned → sent → delivered → opened → clicked → converted per campaign, split by any of day,
 * channel and segment. Planned is an action's channel on its scheduled day; the other stages
 * are the rollups of the campaign's events.
 */
export async function funnel(
  db: Db,
  q: { campaignIds: string[]; by: readonly FunnelDimension[]; from?: string; to?: string },
): Promise<FunnelRow[]> {
  const dims = funnelDimensions.filter((d) => q.by.includes(d));
  const select = dims.map((d) => (d === 'day' ? `to_char(day, 'YYYY-MM-DD') as day` : d));
  const groupBy = ['campaign_id', ...dims].join(', ');
  const { rows } = await db.raw<{ rows: (Omit<FunnelRow, 'campaignId'> & { campaign_id: string })[] }>(
    `with planned as (
       select a.campaign_id, a.scheduled_on as day, ch as channel, a.segment_key as segment, count(*) as n
       from actions a cross join unnest(a.channels) as ch
       where a.campaign_id = any(cast(:ids as uuid[]))
         and (cast(:from as date) is null or a.scheduled_on >= cast(:from as date))
         and (cast(:to as date) is null or a.scheduled_on <= cast(:to as date))
       group by 1, 2, 3, 4
     ), stages as (
       ${
         dims.includes('segment')
           ? `select d.campaign_id, d.day, d.channel, g.key as segment, d.type, d.sends, d.events, d.revenue
              from analytics_daily d left join segments g on g.id = d.segment_id`
           : `select d.campaign_id, d.day, d.channel, null as segment, d.type, d.sends, d.events, d.revenue
              from analytics_campaign_daily d`
       }
       where d.campaign_id = any(cast(:ids as uuid[]))
         and (cast(:from as date) is null or d.day >= cast(:from as date))
         and (cast(:to as date) is null or d.day <= cast(:to as date))
     ), together as (
       select campaign_id, day, channel, segment, 'planned' as type, n as sends, 0 as events, 0 as revenue from planned
       union all
       select campaign_id, day, channel, segment, type, sends, events, revenue from stages
     )
     select campaign_id, ${select.map((s) => `${s}, `).join('')}
            coalesce(sum(sends) filter (where type = 'planned'), 0)::int as planned, ${stageColumns}
     from together group by ${groupBy} order by ${groupBy}`,
    { ids: q.campaignIds, from: q.from ?? null, to: q.to ?? null },
  );
  return rows.map(({ campaign_id, ...r }) => ({ campaignId: campaign_id, ...r }));
}

export interface CampaignComparison extends FunnelRow {
  name: string;
  type: string;
  status: string;
  startsOn: string;
  rates: { delivery: number | null; open: number | null; click: number | null; conversion: number | null };
  revenuePerSend: number | null;
}

const ratio = (a: number, b: number) => (b > 0 ? a / b : null);

/** Campaigns side by side: given ones, or those starting in a range (newest first, at most 50). */
export async function compareCampaigns(
  db: Db,
  q: { campaignIds?: string[]; from?: string; to?: string },
): Promise<CampaignComparison[]> {
  const b = db('campaigns').select(
    'id',
    'name',
    'type',
    'status',
    db.raw(`to_char(starts_on, 'YYYY-MM-DD') as "startsOn"`),
  );
  if (q.campaignIds) b.whereIn('id', q.campaignIds);
  if (q.from) b.where('starts_on', '>=', q.from);
  if (q.to) b.where('starts_on', '<=', q.to);
  const campaigns = (await b.orderBy([{ column: 'starts_on', order: 'desc' }, 'id']).limit(50)) as {
    id: string;
    name: string;
    type: string;
    status: string;
    startsOn: string;
  }[];
  if (campaigns.length === 0) return [];
  const totals = new Map(
    (await funnel(db, { campaignIds: campaigns.map((c) => c.id), by: [] })).map((r) => [r.campaignId, r]),
  );
  return campaigns.map(({ id, ...c }) => {
    const t = totals.get(id) ?? {
      campaignId: id,
      planned: 0,
      sent: 0,
      delivered: 0,
      opened: 0,
      clicked: 0,
      failed: 0,
      converted: 0,
      revenue: '0',
    };
    return {
      ...t,
      ...c,
      rates: {
        delivery: ratio(t.delivered, t.sent),
        open: ratio(t.opened, t.delivered),
        click: ratio(t.clicked, t.delivered),
        conversion: ratio(t.converted, t.sent),
      },
      revenuePerSend: ratio(Number(t.revenue), t.sent),
    };
  });
}

export interface HoldoutResults extends LiftResult {
  campaignId: string;
  holdoutShare: number;
  /** Orders placed in [start, end) count: the campaign's days plus the longest attribution window. */
  measuredFrom: string;
  measuredUntil: string;
  method: string;
}

/**
 * Treated (everyone the plan targets: intention to treat, sent or not) against the holdout, over
 * all of their orders in the measurement window — attributed or not, which is the point.
 */
export async function holdoutResults(
  db: Db,
  campaignId: string,
  lookbackMs: number,
  now = new Date(),
): Promise<HoldoutResults | undefined> {
  const campaign = await db('campaigns').where({ id: campaignId }).first('id', 'holdout_share');
  if (!campaign) return undefined;
  const { rows } = await db.raw<{
    rows: {
      grp: 'treated' | 'holdout' | null;
      customers: number;
      converters: number;
      revenue: string;
      squares: string;
      start_at: Date;
      end_at: Date;
    }[];
  }>(
    `with c as (select * from campaigns where id = :id),
     bounds as (
       select cast(c.starts_on as timestamp) at time zone c.time_zone as start_at,
              least(cast(:now as timestamptz),
                    (cast(c.starts_on + c.window_days as timestamp) at time zone c.time_zone)
                      + make_interval(secs => :lookback)) as end_at
       from c
     ),
     members as (
       select distinct customer_id, 'treated' as grp from actions where campaign_id = :id
       union all
       select customer_id, 'holdout' from campaign_holdouts where campaign_id = :id
     ),
     per_customer as (
       select m.grp, m.customer_id, count(o.id) as orders, coalesce(sum(o.total), 0) as revenue
       from members m cross join bounds b
       left join orders o on o.customer_id = m.customer_id and o.ordered_at >= b.start_at and o.ordered_at < b.end_at
       group by m.grp, m.customer_id
     )
     select g.grp, b.start_at, b.end_at, count(p.customer_id)::int as customers,
            (count(*) filter (where p.orders > 0))::int as converters,
            coalesce(sum(p.revenue), 0)::text as revenue, coalesce(sum(p.revenue * p.revenue), 0)::text as squares
     from bounds b cross join (values ('treated'), ('holdout')) as g(grp)
     left join per_customer p on p.grp = g.grp
     group by g.grp, b.start_at, b.end_at`,
    { id: campaignId, lookback: lookbackMs / 1000, now },
  );
  const group = (name: 'treated' | 'holdout'): GroupSummary => {
    const r = rows.find((x) => x.grp === name);
    return {
      customers: r?.customers ?? 0,
      converters: r?.converters ?? 0,
      revenue: Number(r?.revenue ?? 0),
      revenueSquares: Number(r?.squares ?? 0),
    };
  };
  const bounds = rows[0]!;
  return {
    campaignId,
    holdoutShare: Number(campaign.holdout_share),
    measuredFrom: bounds.start_at.toISOString(),
    measuredUntil: bounds.end_at.toISOString(),
    method:
      'difference in means with Welch standard error (revenue per customer); difference of proportions with unpooled standard error (conversion); 95% normal intervals',
    ...liftOf(group('treated'), group('holdout')),
  };
}
