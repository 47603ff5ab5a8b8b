import type { Knex } from 'knex';

/**
 * Customer and order imports (CSV files from the operator CLI, JSON through the API) and the
 * rows they turned away. An import's counts are updated in the same transaction as each batch
 * it writes, so they always describe what is in the database.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('imports', (t) => {
    t.uuid('id').primary().defaultTo(knex.raw('gen_random_uuid()'));
    t.text('kind').notNullable().checkIn(['customers', 'orders'], 'imports_kind_check');
    t.text('source').notNullable().checkIn(['csv', 'json'], 'imports_source_check');
    t.text('filename');
    t.text('status')
      .notNullable()
      .defaultTo('running')
      .checkIn(['running', 'completed', 'failed'], 'imports_status_check');
    t.integer('rows_total').notNullable().defaultTo(0);
    t.integer('rows_accepted').notNullable().defaultTo(0);
    t.integer('rows_rejected').notNullable().defaultTo(0);
    // How the accepted rows landed: new, changed, already there as they are, or repeated.
    t.integer('rows_inserted').notNullable().defaultTo(0);
    t.integer('rows_updated').notNullable().defaultTo(0);
    t.integer('rows_unchanged').notNullable().defaultTo(0);
    t.integer('rows_duplicate').notNullable().defaultTo(0);
    // Which source column was read as which field, and which were ignored.
    t.jsonb('columns').notNullable().defaultTo('{}');
    // Why the import as a whole failed (unreadable file, missing column, database error).
    t.text('error');
    t.uuid('created_by').references('users.id').onDelete('SET NULL').index();
    t.uuid('api_key_id').references('api_keys.id').onDelete('SET NULL').index();
    t.timestamp('started_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('finished_at', { useTz: true });
    t.index(['started_at']);
  });

  await knex.schema.createTable('import_rejections', (t) => {
    t.bigIncrements('id');
    t.uuid('import_id').notNullable().references('imports.id').onDelete('CASCADE');
    // Line in the file where the row starts (CSV), or 1-based position in the array (JSON).
    t.integer('line').notNullable();
    // As the source names it; null when the row as a whole was turned away.
    t.text('column');
    t.text('value');
    t.text('reason').notNullable();
    // Serves the foreign key and the report, which lists rejections in file order.
    t.index(['import_id', 'line']);
  });
  await knex.raw(
    'alter table import_rejections add constraint import_rejections_value_length_check check (char_length(value) <= 200)',
  );
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists('import_rejections');
  await knex.schema.dropTableIfExists('imports');
}
