import type { Knex } from 'knex';

/**
 * Real-time fan-out: the database announces ledger moves, engagement events and campaign status
 * changes on the `lma_realtime` channel, whoever wrote them (send activities, webhook ingestion,
 * the API). Every API process LISTENs and pushes to its WebSocket clients.
 *
 * Statement-level triggers with transition tables: one notification per campaign per statement,
 * never per row, so a webhook batch of 1,000 events is one small NOTIFY. Payloads carry ids and
 * counters only (NOTIFY's limit is 8,000 bytes). `pending` and `sending` are left out: they are
 * the send loop's own steps just before `sent`/`failed`, which announce the move anyway.
 */

const CHANNEL = 'lma_realtime';

export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    create function realtime_ledger_moved() returns trigger language plpgsql as $$
    begin
      if tg_op = 'INSERT' then
        perform pg_notify('${CHANNEL}', json_build_object('kind', 'ledger', 'campaignId', campaign_id, 'counts', counts)::text)
        from (select campaign_id, json_object_agg(status, n) as counts
              from (select campaign_id, status, count(*) as n from new_rows
                    where campaign_id is not null and status not in ('pending', 'sending')
                    group by campaign_id, status) s
              group by campaign_id) c;
      else
        perform pg_notify('${CHANNEL}', json_build_object('kind', 'ledger', 'campaignId', campaign_id, 'counts', counts)::text)
        from (select campaign_id, json_object_agg(status, n) as counts
              -- Net moves per status, without joining the transition tables (they have no index).
              from (select campaign_id, status, sum(d) as n
                    from (select campaign_id, status, 1 as d from new_rows
                          union all select campaign_id, status, -1 from old_rows) m
                    where campaign_id is not null and status not in ('pending', 'sending')
                    group by campaign_id, status having sum(d) > 0) s
              group by campaign_id) c;
      end if;
      return null;
    end $$`);
  await knex.raw(`create trigger sends_realtime_insert after insert on sends
    referencing new table as new_rows for each statement execute function realtime_ledger_moved()`);
  await knex.raw(`create trigger sends_realtime_update after update on sends
    referencing old table as old_rows new table as new_rows for each statement execute function realtime_ledger_moved()`);

  await knex.raw(`
    create function realtime_engagement_recorded() returns trigger language plpgsql as $$
    begin
      perform pg_notify('${CHANNEL}', json_build_object('kind', 'engagement', 'campaignId', campaign_id, 'counts', counts)::text)
      from (select campaign_id, json_object_agg(type, n) as counts
            from (select campaign_id, left(type, 40) as type, count(*) as n from new_rows
                  where campaign_id is not null group by campaign_id, left(type, 40)) s
            group by campaign_id) c;
      return null;
    end $$`);
  await knex.raw(`create trigger analytics_events_realtime after insert on analytics_events
    referencing new table as new_rows for each statement execute function realtime_engagement_recorded()`);

  await knex.raw(`
    create function realtime_campaign_changed() returns trigger language plpgsql as $$
    begin
      if tg_op = 'INSERT' then
        perform pg_notify('${CHANNEL}', json_build_object('kind', 'campaign', 'campaignId', n.id, 'status', n.status)::text)
        from new_rows n;
      else
        perform pg_notify('${CHANNEL}', json_build_object('kind', 'campaign', 'campaignId', n.id, 'status', n.status)::text)
        from new_rows n join old_rows o on o.id = n.id
        where n.status is distinct from o.status;
      end if;
      return null;
    end $$`);
  await knex.raw(`create trigger campaigns_realtime_insert after insert on campaigns
    referencing new table as new_rows for each statement execute function realtime_campaign_changed()`);
  await knex.raw(`create trigger campaigns_realtime_update after update on campaigns
    referencing old table as old_rows new table as new_rows for each statement execute function realtime_campaign_changed()`);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('drop trigger if exists campaigns_realtime_update on campaigns');
  await knex.raw('drop trigger if exists campaigns_realtime_insert on campaigns');
  await knex.raw('drop trigger if exists analytics_events_realtime on analytics_events');
  await knex.raw('drop trigger if exists sends_realtime_update on sends');
  await knex.raw('drop trigger if exists sends_realtime_insert on sends');
  await knex.raw('drop function if exists realtime_campaign_changed()');
  await knex.raw('drop function if exists realtime_engagement_recorded()');
  await knex.raw('drop function if exists realtime_ledger_moved()');
}
