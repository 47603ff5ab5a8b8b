import type { Knex } from 'knex';

/**
 * A second, coarser daily rollup: day × campaign × channel × event type, without the segment.
 * Charts across campaigns (the 90-day time series, campaigns side by side) read it: with every
 * segment split out, a busy store's 90 days are hundreds of thousands of rollup rows, ten times
 * what these charts need. The same trigger statement fills both from one aggregate, so they
 * always agree (the coarse row is the sum of its segments).
 */

const ROLLUP = `
create or replace function analytics_rollup() returns trigger
language plpgsql as $$
begin
  with firsts as (
    insert into analytics_send_stages (send_id, type)
    select distinct send_id, type from new_events where send_id is not null
    on conflict do nothing
    returning send_id, type
  ),
  ranked as (
    select n.*, row_number() over (partition by n.send_id, n.type order by n.occurred_at, n.id) as nth
    from new_events n
  ),
  grouped as (
    select (r.occurred_at at time zone coalesce(k.time_zone, 'UTC'))::date as day, r.campaign_id, r.channel,
           c.segment_id, r.type, count(*) as events,
           count(*) filter (where f.send_id is not null and r.nth = 1) as sends,
           coalesce(sum(r.revenue), 0) as revenue
    from ranked r
    left join firsts f on f.send_id = r.send_id and f.type = r.type
    left join campaigns k on k.id = r.campaign_id
    left join customers c on c.id = r.customer_id
    group by 1, 2, 3, 4, 5
  ),
  by_segment as (
    insert into analytics_daily as d (day, campaign_id, channel, segment_id, type, events, sends, revenue)
    select * from grouped
    -- A fixed order of keys: two batches upserting the same days never deadlock.
    order by 1, 2, 3, 4, 5
    on conflict (day, campaign_id, channel, segment_id, type) do update
      set events = d.events + excluded.events, sends = d.sends + excluded.sends, revenue = d.revenue + excluded.revenue
    returning 1
  )
  insert into analytics_campaign_daily as d (day, campaign_id, channel, type, events, sends, revenue)
  select day, campaign_id, channel, type, sum(events), sum(sends), sum(revenue) from grouped
  group by 1, 2, 3, 4
  order by 1, 2, 3, 4
  on conflict (day, campaign_id, channel, type) do update
    set events = d.events + excluded.events, sends = d.sends + excluded.sends, revenue = d.revenue + excluded.revenue;
  return null;
end $$`;

const SENT_STAGE = `
create or replace function analytics_record_sent() returns trigger
language plpgsql as $$
declare
  sent_day date;
begin
  insert into analytics_send_stages (send_id, type) values (new.id, 'sent') on conflict do nothing;
  if found then
    select (new.sent_at at time zone coalesce(k.time_zone, 'UTC'))::date into sent_day
    from (select 1) one left join campaigns k on k.id = new.campaign_id;
    insert into analytics_daily as d (day, campaign_id, channel, segment_id, type, events, sends)
    select sent_day, new.campaign_id, new.channel, c.segment_id, 'sent', 1, 1
    from (select 1) one left join customers c on c.id = new.customer_id
    on conflict (day, campaign_id, channel, segment_id, type) do update
      set events = d.events + 1, sends = d.sends + 1;
    insert into analytics_campaign_daily as d (day, campaign_id, channel, type, events, sends)
    values (sent_day, new.campaign_id, new.channel, 'sent', 1, 1)
    on conflict (day, campaign_id, channel, type) do update
      set events = d.events + 1, sends = d.sends + 1;
  end if;
  return null;
end $$`;

export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    create table analytics_campaign_daily (
      day date not null,
      campaign_id uuid references campaigns (id) on delete cascade,
      channel text,
      type text not null,
      events bigint not null default 0,
      sends bigint not null default 0,
      revenue numeric(14, 2) not null default 0,
      constraint analytics_campaign_daily_key unique nulls not distinct (day, campaign_id, channel, type)
    )`);
  await knex.raw('create index analytics_campaign_daily_campaign on analytics_campaign_daily (campaign_id, day)');
  await knex.raw(`
    insert into analytics_campaign_daily (day, campaign_id, channel, type, events, sends, revenue)
    select day, campaign_id, channel, type, sum(events), sum(sends), sum(revenue)
    from analytics_daily group by 1, 2, 3, 4`);
  await knex.raw(ROLLUP);
  await knex.raw(SENT_STAGE);
}

/** The functions as 20261127001500_analytics.ts made them: the per-segment rollup only. */
const PREVIOUS_ROLLUP = ROLLUP.slice(0, ROLLUP.indexOf(',\n  by_segment as (')).concat(`
  insert into analytics_daily as d (day, campaign_id, channel, segment_id, type, events, sends, revenue)
  select * from grouped order by 1, 2, 3, 4, 5
  on conflict (day, campaign_id, channel, segment_id, type) do update
    set events = d.events + excluded.events, sends = d.sends + excluded.sends, revenue = d.revenue + excluded.revenue;
  return null;
end $$`);
const PREVIOUS_SENT_STAGE = SENT_STAGE.slice(0, SENT_STAGE.indexOf('    insert into analytics_campaign_daily'))
  .concat(`  end if;
  return null;
end $$`);

export async function down(knex: Knex): Promise<void> {
  await knex.raw(PREVIOUS_ROLLUP);
  await knex.raw(PREVIOUS_SENT_STAGE);
  await knex.raw('drop table if exists analytics_campaign_daily');
}
