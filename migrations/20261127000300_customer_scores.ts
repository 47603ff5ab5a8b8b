import type { Knex } from 'knex';

/**
 * Customer scores (RFM, BG/NBD, Gamma-Gamma, CLV and behavioural features), the audited model
 * fits and scoring runs, and segment counts. Scores live beside customers, one row each, so
 * that the customer list can filter and sort on them at a million rows.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw('create extension if not exists pg_trgm');

  await knex.schema.createTable('score_runs', (t) => {
    t.uuid('id').primary().defaultTo(knex.raw('gen_random_uuid()'));
    t.text('status')
      .notNullable()
      .defaultTo('running')
      .checkIn(['running', 'completed', 'failed'], 'score_runs_status_check');
    t.text('trigger').notNullable().checkIn(['manual', 'import', 'schedule'], 'score_runs_trigger_check');
    t.text('workflow_id');
    t.timestamp('as_of', { useTz: true }).notNullable();
    t.integer('customers_scored').notNullable().defaultTo(0);
    t.text('error');
    t.timestamp('started_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('finished_at', { useTz: true });
    t.index(['started_at']);
  });

  await knex.schema.createTable('model_fits', (t) => {
    t.uuid('id').primary().defaultTo(knex.raw('gen_random_uuid()'));
    t.uuid('run_id').notNullable().references('score_runs.id').onDelete('CASCADE').index();
    t.text('model').notNullable().checkIn(['bgnbd', 'gamma_gamma'], 'model_fits_model_check');
    t.jsonb('params').notNullable();
    t.double('log_likelihood');
    t.integer('sample_size').notNullable();
    t.integer('distinct_rows');
    t.boolean('converged').notNullable();
    t.text('message');
    // Whether the run used these parameters, or kept an earlier fit's because this one failed.
    t.boolean('used').notNullable();
    t.text('time_unit').notNullable();
    t.integer('duration_ms');
    t.timestamp('fitted_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.index(['model', 'fitted_at']);
  });

  await knex.schema.createTable('customer_scores', (t) => {
    t.uuid('customer_id').primary().references('customers.id').onDelete('CASCADE');
    t.uuid('run_id').references('score_runs.id').onDelete('SET NULL').index();
    t.uuid('segment_id').references('segments.id').onDelete('SET NULL');
    // Model inputs, in the model's time unit (days), kept so every score can explain itself.
    t.integer('order_count').notNullable();
    t.integer('frequency').notNullable(); // x: repeat purchase days
    t.double('recency').notNullable(); // t_x
    t.double('tenure').notNullable(); // T
    t.decimal('total_spent', 14, 2).notNullable();
    t.decimal('avg_order_value', 12, 2).notNullable();
    t.decimal('mean_repeat_spend', 12, 2).notNullable();
    t.timestamp('first_order_at', { useTz: true }).notNullable();
    t.timestamp('last_order_at', { useTz: true }).notNullable();
    t.specificType('rfm_r', 'smallint').notNullable();
    t.specificType('rfm_f', 'smallint').notNullable();
    t.specificType('rfm_m', 'smallint').notNullable();
    t.double('p_alive').notNullable();
    t.double('churn_risk').notNullable();
    t.text('churn_band').notNullable().checkIn(['low', 'medium', 'high'], 'customer_scores_churn_band_check');
    t.double('expected_purchases').notNullable();
    t.decimal('expected_spend', 12, 2).notNullable();
    t.decimal('clv', 14, 2).notNullable();
    t.double('night_share').notNullable();
    t.boolean('is_night_buyer').notNullable();
    t.text('primary_category');
    // Store-local calendar day: one average gap after the last purchase day.
    t.date('predicted_next_purchase_on');
    t.timestamp('scored_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.index(['segment_id', 'clv']);
    t.index(['churn_band', 'clv']);
    t.index(['clv']);
    t.index(['primary_category']);
  });
  await knex.raw('create index customer_scores_night_idx on customer_scores (clv) where is_night_buyer');

  await knex.schema.alterTable('segments', (t) => {
    t.integer('customer_count').notNullable().defaultTo(0);
    t.timestamp('last_computed_at', { useTz: true });
  });

  // Text search over the customer list: name, e-mail, phone and the retailer's id.
  await knex.raw(`
    create index customers_search_trgm on customers using gin (
      (coalesce(first_name, '') || ' ' || coalesce(last_name, '') || ' ' || coalesce(email, '') || ' ' ||
       coalesce(phone, '') || ' ' || external_id) gin_trgm_ops)`);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('drop index if exists customers_search_trgm');
  await knex.schema.alterTable('segments', (t) => {
    t.dropColumn('customer_count');
    t.dropColumn('last_computed_at');
  });
  await knex.schema.dropTableIfExists('customer_scores');
  await knex.schema.dropTableIfExists('model_fits');
  await knex.schema.dropTableIfExists('score_runs');
}
