import type { Knex } from 'knex';

/**
 * Triggered journeys: the events the store's systems report (idempotent by their `event_id`),
 * each journey's settings (on/off, timings, copy), one row per journey that ran for a customer,
 * and the churn band the nightly hook saw last, so that a customer is won back when they move
 * into high churn risk rather than every night they stay there. Journey messages are rows of
 * the one send ledger, told apart by their journey run.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('customer_events', (t) => {
    t.uuid('id').primary().defaultTo(knex.raw('gen_random_uuid()'));
    t.text('event_id').notNullable().unique();
    t.text('type').notNullable();
    t.uuid('customer_id').notNullable().references('customers.id').onDelete('CASCADE').index();
    t.timestamp('occurred_at', { useTz: true }).notNullable();
    t.jsonb('properties').notNullable().defaultTo('{}');
    // What the event did: per journey, started / signalled / ignored (and why).
    t.jsonb('outcome').notNullable().defaultTo('[]');
    t.timestamp('received_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
  });

  await knex.schema.createTable('journey_settings', (t) => {
    t.text('journey').primary();
    t.boolean('enabled').notNullable().defaultTo(true);
    // Overrides of the journey's defaults (domain/journeys): timings and each step's message.
    t.jsonb('settings').notNullable().defaultTo('{}');
    t.uuid('updated_by').references('users.id').onDelete('SET NULL').index();
    t.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
  });

  await knex.schema.createTable('journey_runs', (t) => {
    // The Temporal run id of the journey's workflow execution.
    t.uuid('id').primary();
    t.text('journey').notNullable();
    t.uuid('customer_id').notNullable().references('customers.id').onDelete('CASCADE');
    t.text('workflow_id').notNullable();
    t.text('trigger').notNullable();
    t.text('status')
      .notNullable()
      .defaultTo('running')
      .checkIn(['running', 'completed', 'exited'], 'journey_runs_status_check');
    t.text('exit_reason');
    // Set by the one caller whose signal-with-start started this run: it answers `started`.
    t.boolean('announced').notNullable().defaultTo(false);
    t.timestamp('started_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('finished_at', { useTz: true });
    t.index(['customer_id', 'started_at']);
  });

  await knex.schema.createTable('journey_churn_bands', (t) => {
    t.uuid('customer_id').primary().references('customers.id').onDelete('CASCADE');
    t.text('band').notNullable();
    t.timestamp('seen_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
  });

  await knex.schema.alterTable('sends', (t) => {
    t.uuid('journey_run_id').references('journey_runs.id').onDelete('SET NULL');
    t.smallint('journey_step');
  });
  await knex.raw('create index sends_journey_run on sends (journey_run_id) where journey_run_id is not null');
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('drop index if exists sends_journey_run');
  await knex.schema.alterTable('sends', (t) => {
    t.dropColumn('journey_step');
    t.dropColumn('journey_run_id');
  });
  await knex.schema.dropTableIfExists('journey_churn_bands');
  await knex.schema.dropTableIfExists('journey_runs');
  await knex.schema.dropTableIfExists('journey_settings');
  await knex.schema.dropTableIfExists('customer_events');
}
