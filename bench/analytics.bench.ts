import { parseArgs } from 'node:util';
import { compareCampaigns, funnel, timeSeries } from '../api/data/analytics.ts';
import type { Db } from '../platform/db.ts';
import { type Benchmark, wholeArg } from './types.ts';

/**
 * `npm run bench -- analytics [--events 10000000] [--days 90] [--campaigns 30] [--customers 100000] [--runs 7]`
 *
 * The 90-day dashboard over 10M engagement events. Events are generated in SQL
 * (generate_series, a million per statement) into the partitioned `analytics_events`, so the
 * rollup trigger builds `analytics_daily` exactly as ingestion does. Then each dashboard query
 * of the analytics API (api/data/analytics.ts) is timed — median of `runs` after a warm-up —
 * next to its baseline in the same run: the same answer computed from the raw events.
 * Insert cost is measured too: a million events into the partitioned table with its rollup
 * trigger, against the same rows into a plain table with no trigger.
 */

function options(args: string[]) {
  const { values } = parseArgs({
    args,
    options: {
      events: { type: 'string' },
      days: { type: 'string' },
      campaigns: { type: 'string' },
      customers: { type: 'string' },
      runs: { type: 'string' },
    },
    strict: true,
  });
  return {
    events: wholeArg('events', values.events, 10_000_000),
    days: wholeArg('days', values.days, 90),
    campaigns: wholeArg('campaigns', values.campaigns, 30),
    customers: wholeArg('customers', values.customers, 100_000),
    runs: wholeArg('runs', values.runs, 7),
  };
}

const TZ = 'America/Chicago';
const CHUNK = 1_000_000;
/** Events that go through the production insert path (trigger and foreign keys on). */
const SAMPLE = 100_000;
// Weights of a realistic mix: most events are deliveries and opens, few are conversions.
const TYPES = [
  ...Array<string>(7).fill('delivered'),
  ...Array<string>(6).fill('opened'),
  ...Array<string>(3).fill('clicked'),
  'failed',
  'bounced',
  'converted',
];

const uuidOf = (prefix: string, n: string) => `('${prefix}' || lpad(to_hex(${n}), 12, '0'))::uuid`;

/**
 * Rows for events number `from` … `to` − 1, spread evenly over the days before `end`, each drawn
 * independently over campaigns, customers (so segments) and channels: the worst case for the
 * rollups, where every campaign has events on every day, channel, segment and type.
 */
function eventsSelect(from: number, to: number, o: ReturnType<typeof options>, end: string): string {
  return `
    select timestamptz '${end}' - random() * interval '${o.days} days' as occurred_at,
           (cast(:types as text[]))[1 + floor(random() * ${TYPES.length})::int] as type,
           ${uuidOf('00000000-0000-4000-8000-', `floor(random() * ${o.customers})::int`)} as customer_id,
           ${uuidOf('00000000-0000-4000-9000-', `floor(random() * ${o.campaigns})::int`)} as campaign_id,
           case when random() < 0.3 then 'sms' else 'email' end as channel,
           g
    from generate_series(${from}, ${to - 1}) as g`;
}

async function timed<T>(runs: number, f: () => Promise<T>): Promise<{ medianMs: number; minMs: number; result: T }> {
  let result = await f(); // warm-up: plans and caches
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const started = performance.now();
    result = await f();
    times.push(performance.now() - started);
  }
  times.sort((a, b) => a - b);
  const round = (ms: number) => Math.round(ms * 10) / 10;
  return { medianMs: round(times[Math.floor(times.length / 2)]!), minMs: round(times[0]!), result };
}

async function seed(db: Db, o: ReturnType<typeof options>, end: string) {
  const segments = await db('segments').orderBy('key').pluck('id');
  await db.raw(
    `insert into customers (id, external_id)
     select ${uuidOf('00000000-0000-4000-8000-', 'n')}, 'bench-' || n from generate_series(0, ? - 1) n`,
    [o.customers],
  );
  // A customer's segment is the one in their score; the other score columns do not matter here.
  const [run] = await db('score_runs').insert({ trigger: 'manual', as_of: end, status: 'completed' }).returning('id');
  await db.raw(
    `insert into customer_scores (customer_id, run_id, segment_id, order_count, frequency, recency, tenure, total_spent,
       avg_order_value, mean_repeat_spend, first_order_at, last_order_at, rfm_r, rfm_f, rfm_m, p_alive, churn_risk,
       churn_band, expected_purchases, expected_spend, clv, night_share, is_night_buyer)
     select ${uuidOf('00000000-0000-4000-8000-', 'n')}, ?, (cast(? as uuid[]))[1 + n % ?], 2, 1, 30, 90, 100, 50, 50,
            timestamptz '${end}' - interval '90 days', timestamptz '${end}' - interval '60 days', 3, 3, 3, 0.5, 0.5,
            'medium', 1, 50, 100, 0, false
     from generate_series(0, ? - 1) n`,
    [run.id, segments, segments.length, o.customers],
  );
  await db.raw(
    `insert into campaigns (id, name, type, starts_on, time_zone, status)
     select ${uuidOf('00000000-0000-4000-9000-', 'n')}, 'Bench campaign ' || n, 'win_back',
            cast(timestamptz '${end}' - interval '${o.days} days' as date) + (n * ${o.days} / ?), ?, 'completed'
     from generate_series(0, ? - 1) n`,
    [o.campaigns, TZ, o.campaigns],
  );
  const months = await db.raw<{ rows: { m: string }[] }>(
    `select to_char(m, 'YYYY-MM-DD') as m from generate_series(
       date_trunc('month', timestamptz '${end}' - interval '${o.days + 1} days'), timestamptz '${end}', interval '1 month') m`,
  );
  for (const { m } of months.rows) await db.raw('select analytics_ensure_partition(cast(? as date))', [m]);
}

const insertSql = (table: string, select: string) =>
  `insert into ${table} (occurred_at, type, customer_id, campaign_id, channel, revenue)
   select occurred_at, type, customer_id, campaign_id, channel,
          case when type = 'converted' then round(cast(20 + (g % 80) as numeric) + 0.99, 2) end
   from (${select}) e`;

const benchmark: Benchmark = async (ctx) => {
  const o = options(ctx.args);
  const db = await ctx.db();
  const end = new Date(Date.UTC(2026, 10, 27)).toISOString();
  const to = '2026-11-26';
  const from = new Date(Date.parse(`${to}T00:00:00Z`) - (o.days - 1) * 86_400_000).toISOString().slice(0, 10);
  await seed(db, o, end);
  const types = TYPES;

  // The bulk of the events: generated fast, with triggers and foreign-key checks off (a bulk
  // load, as after a restore), then the rollups of those rows built in one aggregate — the
  // statement the trigger runs per batch, over the whole load at once.
  const sample = Math.min(SAMPLE, o.events);
  const loadStarted = performance.now();
  for (let at = sample; at < o.events; at += CHUNK) {
    await db.transaction(async (trx) => {
      await trx.raw('set local session_replication_role = replica');
      await trx.raw(insertSql('analytics_events', eventsSelect(at, Math.min(at + CHUNK, o.events), o, end)), {
        types,
      });
    });
    ctx.log.info({ events: Math.min(at + CHUNK, o.events) }, 'events loaded');
  }
  const loadMs = performance.now() - loadStarted;
  const backfillStarted = performance.now();
  await db.raw(
    `insert into analytics_daily (day, campaign_id, channel, segment_id, type, events, sends, revenue)
     select (e.occurred_at at time zone coalesce(k.time_zone, 'UTC'))::date, e.campaign_id, e.channel, c.segment_id,
            e.type, count(*), 0, coalesce(sum(e.revenue), 0)
     from analytics_events e
     left join campaigns k on k.id = e.campaign_id
     left join customer_scores c on c.customer_id = e.customer_id
     group by 1, 2, 3, 4, 5`,
  );
  await db.raw(
    `insert into analytics_campaign_daily (day, campaign_id, channel, type, events, sends, revenue)
     select day, campaign_id, channel, type, sum(events), sum(sends), sum(revenue) from analytics_daily
     group by 1, 2, 3, 4`,
  );
  const backfillMs = performance.now() - backfillStarted;

  // Ingestion cost, on the rest: events through the production path (tuple routing, foreign
  // keys, the rollup trigger) against the same rows into a plain table with the same indexes.
  const ingestStarted = performance.now();
  await db.raw(insertSql('analytics_events', eventsSelect(0, sample, o, end)), { types });
  const ingestMs = performance.now() - ingestStarted;
  await db.raw(`create table bench_plain_events (like analytics_events including defaults including indexes)`);
  const plainStarted = performance.now();
  await db.raw(insertSql('bench_plain_events', eventsSelect(0, sample, o, end)), { types });
  const plainMs = performance.now() - plainStarted;
  await db.raw('drop table bench_plain_events');
  await db.raw('vacuum analyze analytics_events');
  await db.raw('vacuum analyze analytics_daily');
  await db.raw('vacuum analyze analytics_campaign_daily');

  const { rollupRows, rollupEvents, campaignRollupRows, campaignRollupEvents } = (
    await db.raw<{
      rows: { rollupRows: number; rollupEvents: number; campaignRollupRows: number; campaignRollupEvents: number }[];
    }>(
      `select count(*)::int as "rollupRows", sum(events)::bigint as "rollupEvents",
              (select count(*)::int from analytics_campaign_daily) as "campaignRollupRows",
              (select sum(events)::bigint from analytics_campaign_daily) as "campaignRollupEvents"
       from analytics_daily`,
    )
  ).rows[0]!;
  const events = Number(
    (await db.raw<{ rows: { n: string }[] }>('select count(*) as n from analytics_events')).rows[0]!.n,
  );
  const sizes = (
    await db.raw<{ rows: { events: string; rollups: string }[] }>(
      `select pg_size_pretty(sum(pg_total_relation_size(inhrelid))) as events,
              pg_size_pretty(pg_total_relation_size('analytics_daily')) as rollups
       from pg_inherits where inhparent = 'analytics_events'::regclass`,
    )
  ).rows[0]!;
  const campaignIds = (await db('campaigns').orderBy('id').pluck('id')) as string[];
  const one = campaignIds[Math.floor(campaignIds.length / 2)]!;

  // The dashboard, from the rollups, through the API's own queries.
  const dashboard = {
    timeSeries90Days: await timed(o.runs, () => timeSeries(db, { from, to })),
    timeSeriesOneCampaign: await timed(o.runs, () => timeSeries(db, { from, to, campaignIds: [one] })),
    funnelOneCampaignByDayChannelSegment: await timed(o.runs, () =>
      funnel(db, { campaignIds: [one], by: ['day', 'channel', 'segment'] }),
    ),
    compareCampaigns: await timed(o.runs, () => compareCampaigns(db, { from: '2000-01-01', to })),
  };

  // Baselines: the same answers from the raw events.
  const rawTimeSeries = (campaign?: string) =>
    db.raw(
      `select (occurred_at at time zone :tz)::date as day,
              count(*) filter (where type = 'delivered') as delivered, count(*) filter (where type = 'opened') as opened,
              count(*) filter (where type = 'clicked') as clicked, count(*) filter (where type = 'converted') as converted,
              sum(revenue) filter (where type = 'converted') as revenue
       from analytics_events
       where occurred_at >= cast(:from as timestamp) at time zone :tz
         and occurred_at < (cast(:to as date) + 1)::timestamp at time zone :tz
         and (cast(:campaign as uuid) is null or campaign_id = cast(:campaign as uuid))
       group by 1 order by 1`,
      { tz: TZ, from, to, campaign: campaign ?? null },
    );
  const baseline = {
    timeSeries90Days: await timed(Math.min(o.runs, 3), () => rawTimeSeries()),
    timeSeriesOneCampaign: await timed(Math.min(o.runs, 3), () => rawTimeSeries(one)),
    funnelOneCampaignByDayChannelSegment: await timed(Math.min(o.runs, 3), () =>
      db.raw(
        `select (e.occurred_at at time zone :tz)::date, e.channel, c.segment_id, e.type, count(*), sum(e.revenue)
         from analytics_events e left join customer_scores c on c.customer_id = e.customer_id
         where e.campaign_id = :id group by 1, 2, 3, 4`,
        { tz: TZ, id: one },
      ),
    ),
    compareCampaigns: await timed(Math.min(o.runs, 3), () =>
      db.raw(`select campaign_id, type, count(*), sum(revenue) from analytics_events group by 1, 2`),
    ),
  };

  const figures = Object.fromEntries(
    Object.entries(dashboard).map(([name, d]) => {
      const b = baseline[name as keyof typeof baseline];
      return [
        name,
        {
          rollupsMedianMs: d.medianMs,
          rawEventsMedianMs: b.medianMs,
          speedup: Math.round(b.medianMs / Math.max(d.medianMs, 0.1)),
          under200ms: d.medianMs < 200,
        },
      ];
    }),
  );
  const points = dashboard.timeSeries90Days.result;
  return {
    events,
    days: o.days,
    campaigns: o.campaigns,
    customers: o.customers,
    rollupRows,
    sizes,
    timeSeriesPoints: points.length,
    load: {
      bulkSeconds: Math.round(loadMs / 100) / 10,
      rollupBackfillSeconds: Math.round(backfillMs / 100) / 10,
    },
    ingestion: {
      events: sample,
      withRollupsAndForeignKeysPerSecond: Math.round(sample / (ingestMs / 1000)),
      plainTableSameIndexesPerSecond: Math.round(sample / (plainMs / 1000)),
    },
    campaignRollupRows,
    rollupEventsMatchRawEvents: rollupEvents === events && campaignRollupEvents === events,
    queries: figures,
  };
};

export default benchmark;
