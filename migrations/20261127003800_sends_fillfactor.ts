import type { Knex } from 'knex';

/**
 * Room on every new page of the send ledger for the rows' later versions. An open or a click
 * changes no indexed column of its send (activities/webhooks/store.ts), so PostgreSQL can write
 * that update on the same page without a new entry in each of the ledger's indexes (a HOT update)
 * — but only if the page has room, and a ledger written by inserts fills its pages. Existing pages
 * keep their layout until they are rewritten.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw('alter table sends set (fillfactor = 85)');
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('alter table sends reset (fillfactor)');
}
