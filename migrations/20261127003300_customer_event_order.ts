import type { Knex } from 'knex';

/**
 * The order events were accepted in, for the journey dispatcher to deliver a customer's events in
 * it: `received_at` is the inserting transaction's time, the same for every event of a batch (a
 * cart and its purchase in one request), and the ids are random. An identity follows the rows of
 * a multi-row insert in the order of the request.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw('alter table customer_events add column seq bigint generated always as identity');
  await knex.raw('drop index if exists customer_events_undispatched');
  await knex.raw('create index customer_events_undispatched on customer_events (seq) where dispatched_at is null');
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('drop index if exists customer_events_undispatched');
  await knex.raw(
    'create index customer_events_undispatched on customer_events (received_at, id) where dispatched_at is null',
  );
  await knex.raw('alter table customer_events drop column seq');
}
