import type { Knex } from 'knex';

/**
 * Analytics (issue #10):
 *
 * - `analytics_events` becomes a table partitioned by month (native declarative partitioning),
 *   with a default partition so that an event outside every monthly partition is kept, never
 *   refused. `analytics_ensure_partition(month)` creates a month (moving any of its rows out of
 *   the default partition first); the daily maintenance activity calls it ahead of time and
 *   drops whole partitions past the retention.
 * - `analytics_daily` holds the daily rollups (day × campaign × channel × segment × event type),
 *   kept up to date by a statement trigger on every insert into `analytics_events`: one upsert
 *   per inserted batch, never a rescan. `sends` counts each send once per stage (its first event
 *   of that type, remembered in `analytics_send_stages`), `events` counts every event.
 * - A send becoming `sent` in the ledger counts in the `sent` rollup (a row trigger on `sends`),
 *   so the funnel needs no change to the send path and no second copy of the ledger in events.
 * - Orders attributed to the message that earned them (`order_attributions`), and holdout
 *   groups of campaigns (`campaign_holdouts`, `campaigns.holdout_share`).
 */

const ENSURE_PARTITION = `
create or replace function analytics_ensure_partition(month date) returns text
language plpgsql as $$
declare
  lower_bound timestamptz := date_trunc('month', month::timestamp) at time zone 'UTC';
  upper_bound timestamptz := (date_trunc('month', month::timestamp) + interval '1 month') at time zone 'UTC';
  part text := 'analytics_events_p' || to_char(month, 'YYYYMM');
begin
  if to_regclass(part) is not null then
    return part;
  end if;
  -- Rows of this month that landed in the default partition move into the new one: attaching
  -- a partition whose range the default partition holds rows of would fail.
  execute format('create table %I (like analytics_events including defaults)', part);
  execute format('alter table %I add constraint %I check (occurred_at >= %L and occurred_at < %L)',
                 part, part || '_range', lower_bound, upper_bound);
  execute format('with moved as (delete from analytics_events_default where occurred_at >= %L and occurred_at < %L
                  returning *) insert into %I select * from moved', lower_bound, upper_bound, part);
  execute format('alter table analytics_events attach partition %I for values from (%L) to (%L)',
                 part, lower_bound, upper_bound);
  execute format('alter table %I drop constraint %I', part, part || '_range');
  return part;
end $$`;

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
  )
  insert into analytics_daily as d (day, campaign_id, channel, segment_id, type, events, sends, revenue)
  select (r.occurred_at at time zone coalesce(k.time_zone, 'UTC'))::date, r.campaign_id, r.channel, c.segment_id,
         r.type, count(*), count(*) filter (where f.send_id is not null and r.nth = 1), coalesce(sum(r.revenue), 0)
  from ranked r
  left join firsts f on f.send_id = r.send_id and f.type = r.type
  left join campaigns k on k.id = r.campaign_id
  left join customers c on c.id = r.customer_id
  group by 1, 2, 3, 4, 5
  -- A fixed order of keys: two batches upserting the same days never deadlock.
  order by 1, 2, 3, 4, 5
  on conflict (day, campaign_id, channel, segment_id, type) do update
    set events = d.events + excluded.events, sends = d.sends + excluded.sends, revenue = d.revenue + excluded.revenue;
  return null;
end $$`;

const SENT_STAGE = `
create or replace function analytics_record_sent() returns trigger
language plpgsql as $$
begin
  insert into analytics_send_stages (send_id, type) values (new.id, 'sent') on conflict do nothing;
  if found then
    insert into analytics_daily as d (day, campaign_id, channel, segment_id, type, events, sends)
    select (new.sent_at at time zone coalesce(k.time_zone, 'UTC'))::date, new.campaign_id, new.channel, c.segment_id,
           'sent', 1, 1
    from (select 1) one
    left join campaigns k on k.id = new.campaign_id
    left join customers c on c.id = new.customer_id
    on conflict (day, campaign_id, channel, segment_id, type) do update
      set events = d.events + 1, sends = d.sends + 1;
  end if;
  return null;
end $$`;

export async function up(knex: Knex): Promise<void> {
  await knex.raw('alter table analytics_events rename to analytics_events_v1');
  await knex.raw('alter index analytics_events_pkey rename to analytics_events_v1_pkey');
  for (const index of [
    'analytics_events_campaign_id_occurred_at_index',
    'analytics_events_customer_id_occurred_at_index',
    'analytics_events_send_id_index',
    'analytics_events_occurred_brin',
  ]) {
    await knex.raw(`drop index if exists ${index}`);
  }

  await knex.raw(`
    create table analytics_events (
      id uuid not null default gen_random_uuid(),
      occurred_at timestamptz not null,
      type text not null,
      customer_id uuid references customers (id) on delete set null,
      campaign_id uuid references campaigns (id) on delete set null,
      send_id uuid references sends (id) on delete set null,
      channel text,
      revenue numeric(12, 2),
      properties jsonb not null default '{}',
      primary key (id, occurred_at)
    ) partition by range (occurred_at)`);
  await knex.raw('create table analytics_events_default partition of analytics_events default');
  // Time ranges scan a few BRIN blocks; per-campaign, per-customer and per-send reads use btrees.
  await knex.raw('create index analytics_events_occurred_brin on analytics_events using brin (occurred_at)');
  await knex.raw('create index analytics_events_campaign_occurred on analytics_events (campaign_id, occurred_at)');
  await knex.raw('create index analytics_events_customer_occurred on analytics_events (customer_id, occurred_at)');
  await knex.raw('create index analytics_events_send on analytics_events (send_id)');

  await knex.raw(`
    create table analytics_daily (
      day date not null,
      campaign_id uuid references campaigns (id) on delete cascade,
      channel text,
      segment_id uuid,
      type text not null,
      events bigint not null default 0,
      sends bigint not null default 0,
      revenue numeric(14, 2) not null default 0,
      constraint analytics_daily_key unique nulls not distinct (day, campaign_id, channel, segment_id, type)
    )`);
  await knex.raw('create index analytics_daily_campaign on analytics_daily (campaign_id, day)');
  await knex.raw(`
    create table analytics_send_stages (
      send_id uuid not null,
      type text not null,
      primary key (send_id, type)
    )`);

  await knex.raw(ENSURE_PARTITION);
  await knex.raw(ROLLUP);
  await knex.raw(`create trigger analytics_events_rollup after insert on analytics_events
                  referencing new table as new_events for each statement execute function analytics_rollup()`);
  await knex.raw(SENT_STAGE);
  await knex.raw(`create trigger sends_record_sent after update of sent_at on sends for each row
                  when (old.sent_at is null and new.sent_at is not null) execute function analytics_record_sent()`);
  await knex.raw(`create trigger sends_record_sent_on_insert after insert on sends for each row
                  when (new.sent_at is not null) execute function analytics_record_sent()`);

  // Months that hold events already, and the current and next month.
  await knex.raw(`
    select analytics_ensure_partition(m::date) from (
      select distinct date_trunc('month', occurred_at at time zone 'UTC') as m from analytics_events_v1
      union select date_trunc('month', now() at time zone 'UTC')
      union select date_trunc('month', now() at time zone 'UTC') + interval '1 month'
    ) months`);
  await knex.raw(`insert into analytics_events (id, occurred_at, type, customer_id, campaign_id, send_id, channel,
                    revenue, properties)
                  select id, occurred_at, type, customer_id, campaign_id, send_id, channel, revenue, properties
                  from analytics_events_v1`);
  await knex.raw('drop table analytics_events_v1');

  await knex.raw(`
    create table order_attributions (
      order_id uuid primary key references orders (id) on delete cascade,
      send_id uuid references sends (id) on delete set null,
      campaign_id uuid references campaigns (id) on delete set null,
      customer_id uuid not null references customers (id) on delete cascade,
      channel text not null,
      touch_type text not null,
      touched_at timestamptz not null,
      ordered_at timestamptz not null,
      revenue numeric(12, 2) not null,
      attributed_at timestamptz not null default now()
    )`);
  await knex.raw('create index order_attributions_send on order_attributions (send_id)');
  await knex.raw('create index order_attributions_campaign on order_attributions (campaign_id, ordered_at)');
  await knex.raw('create index order_attributions_customer on order_attributions (customer_id)');

  await knex.raw(`alter table campaigns add column holdout_share numeric(4, 3) not null default 0.1
                  constraint campaigns_holdout_share_check check (holdout_share >= 0 and holdout_share <= 0.5)`);
  await knex.raw(`
    create table campaign_holdouts (
      campaign_id uuid not null references campaigns (id) on delete cascade,
      customer_id uuid not null references customers (id) on delete cascade,
      segment_key text,
      created_at timestamptz not null default now(),
      primary key (campaign_id, customer_id)
    )`);
  await knex.raw('create index campaign_holdouts_customer on campaign_holdouts (customer_id)');
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('drop table if exists campaign_holdouts');
  await knex.raw('alter table campaigns drop column if exists holdout_share');
  await knex.raw('drop table if exists order_attributions');
  await knex.raw('drop trigger if exists sends_record_sent on sends');
  await knex.raw('drop trigger if exists sends_record_sent_on_insert on sends');
  await knex.raw('drop function if exists analytics_record_sent()');

  await knex.raw(`
    create table analytics_events_v1 (
      id uuid primary key default gen_random_uuid(),
      occurred_at timestamptz not null,
      type text not null,
      customer_id uuid references customers (id) on delete set null,
      campaign_id uuid references campaigns (id) on delete set null,
      send_id uuid references sends (id) on delete set null,
      channel text,
      revenue numeric(12, 2),
      properties jsonb not null default '{}'
    )`);
  await knex.raw(`insert into analytics_events_v1 select id, occurred_at, type, customer_id, campaign_id, send_id,
                    channel, revenue, properties from analytics_events`);
  await knex.raw('drop table analytics_events');
  await knex.raw('drop function if exists analytics_rollup()');
  await knex.raw('drop function if exists analytics_ensure_partition(date)');
  await knex.raw('drop table if exists analytics_send_stages');
  await knex.raw('drop table if exists analytics_daily');
  await knex.raw('alter table analytics_events_v1 rename to analytics_events');
  await knex.raw('alter index analytics_events_v1_pkey rename to analytics_events_pkey');
  await knex.schema.alterTable('analytics_events', (t) => {
    t.index(['campaign_id', 'occurred_at']);
    t.index(['customer_id', 'occurred_at']);
    t.index(['send_id']);
  });
  await knex.raw('create index analytics_events_occurred_brin on analytics_events using brin (occurred_at)');
}
