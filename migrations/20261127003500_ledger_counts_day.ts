import type { Knex } from 'knex';

/**
 * The ledger counts also keep the latest campaign day a campaign has sends for, so that the
 * real-time progress snapshot (api/realtime/progress.ts) reads these few rows instead of counting
 * the campaign's whole ledger in every window while it sends. A statement inserting sends records
 * the latest day among them; status moves carry none; folding keeps the latest.
 */

const changed = (withDay: boolean) => `
create or replace function ledger_counts_changed() returns trigger language plpgsql as $$
begin
  if tg_op = 'INSERT' then
    insert into campaign_ledger_counts (campaign_id, channel, status, n${withDay ? ', day' : ''})
    select campaign_id, channel, status, count(*)${withDay ? ', max(day)' : ''} from new_rows
    where campaign_id is not null
    group by campaign_id, channel, status;
  elsif tg_op = 'UPDATE' then
    -- Net moves, without joining the transition tables (they have no index).
    insert into campaign_ledger_counts (campaign_id, channel, status, n)
    select campaign_id, channel, status, sum(d) from (
      select campaign_id, channel, status, 1 as d from new_rows
      union all select campaign_id, channel, status, -1 from old_rows) m
    where campaign_id is not null
    group by campaign_id, channel, status
    having sum(d) <> 0;
  else
    -- A campaign's own deletion removes its counts (and, by cascade, its sends): nothing to add.
    insert into campaign_ledger_counts (campaign_id, channel, status, n)
    select o.campaign_id, o.channel, o.status, -count(*) from old_rows o
    join campaigns c on c.id = o.campaign_id
    group by o.campaign_id, o.channel, o.status;
  end if;
  return null;
end $$`;

export async function up(knex: Knex): Promise<void> {
  await knex.raw('alter table campaign_ledger_counts add column day integer');
  await knex.raw(changed(true));
  // Campaigns that have sent already: their latest day, on a row that adds nothing to the counts.
  await knex.raw(`
    insert into campaign_ledger_counts (campaign_id, channel, status, n, day)
    select campaign_id, channel, status, 0, max(day) from sends
    where campaign_id is not null
    group by campaign_id, channel, status`);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw(changed(false));
  await knex.raw('delete from campaign_ledger_counts where n = 0');
  await knex.raw('alter table campaign_ledger_counts drop column day');
}
