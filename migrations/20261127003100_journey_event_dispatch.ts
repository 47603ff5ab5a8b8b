import type { Knex } from 'knex';

/**
 * The events API accepts an event by storing it; the journey dispatcher (a workflow on the
 * worker, activities/journey-dispatch.ts) delivers it to Temporal afterwards. An event that a
 * journey still has to hear of has no `dispatched_at`: those rows are the queue, found through a
 * partial index that holds only them. `dispatch_after` holds a failed delivery back (Temporal
 * down) and `dispatch_error` says why. Events stored before this were delivered when accepted.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('customer_events', (t) => {
    t.timestamp('dispatched_at', { useTz: true });
    t.integer('dispatch_attempts').notNullable().defaultTo(0);
    t.timestamp('dispatch_after', { useTz: true });
    t.text('dispatch_error');
  });
  await knex.raw('update customer_events set dispatched_at = received_at');
  await knex.raw(
    'create index customer_events_undispatched on customer_events (received_at, id) where dispatched_at is null',
  );
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('drop index if exists customer_events_undispatched');
  await knex.schema.alterTable('customer_events', (t) => {
    t.dropColumn('dispatch_error');
    t.dropColumn('dispatch_after');
    t.dropColumn('dispatch_attempts');
    t.dropColumn('dispatched_at');
  });
}
