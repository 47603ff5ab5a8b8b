import type { Knex } from 'knex';

/**
 * The dashboard's figures come from the sends table, which grows with every message: "sends
 * today" and the rates of the last days read sends by `sent_at`, and "recent failures" reads the
 * newest failed sends. Both indexes are partial, so they stay small next to the whole ledger.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw('create index sends_sent_at on sends (sent_at) where sent_at is not null');
  await knex.raw(
    `create index sends_recent_failures on sends ((coalesce(failed_at, updated_at)) desc)
       where status in ('failed', 'bounced', 'complained')`,
  );
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('drop index if exists sends_recent_failures');
  await knex.raw('drop index if exists sends_sent_at');
}
