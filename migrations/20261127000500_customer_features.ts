import type { Knex } from 'knex';

/**
 * Working table of a scoring run: each customer's purchase summary, computed in SQL from orders.
 * Unlogged because it is rebuilt by every run and worthless after a crash.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    create unlogged table customer_features (
      customer_id uuid primary key references customers(id) on delete cascade,
      run_id uuid not null references score_runs(id) on delete cascade,
      orders integer not null,
      purchase_days integer not null,
      x integer not null,
      t_x integer not null,
      t_cal integer not null,
      days_since_last integer not null,
      total_spent numeric(14, 2) not null,
      paid_repeat_days integer not null,
      mean_repeat_spend numeric(12, 2) not null,
      night_orders integer not null,
      primary_category text,
      first_day date not null,
      last_day date not null,
      first_order_at timestamptz not null,
      last_order_at timestamptz not null
    )`);
  await knex.raw('create index customer_features_run_idx on customer_features (run_id)');
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists('customer_features');
}
