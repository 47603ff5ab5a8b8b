import type { Knex } from 'knex';

/**
 * A customer's segment is read where the scoring run writes it, `customer_scores.segment_id`,
 * and `customers.segment_id` goes. The copy cost a scoring run more than anything else: after
 * a first run (or any run that moves many customers) every customer row was rewritten, and with
 * it every index on customers, the trigram one included — about two minutes of database time at
 * a million customers. Its only readers were the analytics rollup triggers, which now join the
 * scores instead: an event still counts under the segment the customer is in when it arrives,
 * and under none for a customer not scored yet.
 */

/** Where the rollups find the event's customer's segment, as `c.segment_id`. */
const FROM_SCORES = 'customer_scores c on c.customer_id';
const FROM_CUSTOMERS = 'customers c on c.id';

const rollup = (segmentOf: string) => `
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
    left join ${segmentOf} = r.customer_id
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

const sentStage = (segmentOf: string) => `
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
    from (select 1) one left join ${segmentOf} = new.customer_id
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
  await knex.raw(rollup(FROM_SCORES));
  await knex.raw(sentStage(FROM_SCORES));
  await knex.schema.alterTable('customers', (t) => {
    t.dropColumn('segment_id');
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('customers', (t) => {
    t.uuid('segment_id').references('segments.id').onDelete('SET NULL').index();
  });
  await knex.raw(`update customers c set segment_id = s.segment_id from customer_scores s
                  where s.customer_id = c.id and s.segment_id is not null`);
  await knex.raw(rollup(FROM_CUSTOMERS));
  await knex.raw(sentStage(FROM_CUSTOMERS));
}
