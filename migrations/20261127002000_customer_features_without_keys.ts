import type { Knex } from 'knex';

/**
 * The scoring run's working table loses its foreign keys: every row comes from `orders` within
 * one run, which `score_runs` and the run's own clean-up already tie together, and checking two
 * keys per row cost ~9 s of a million-customer run. Nothing else reads the table.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw('alter table customer_features drop constraint if exists customer_features_customer_id_fkey');
  await knex.raw('alter table customer_features drop constraint if exists customer_features_run_id_fkey');
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('delete from customer_features');
  await knex.raw(`alter table customer_features
    add constraint customer_features_customer_id_fkey foreign key (customer_id) references customers(id) on delete cascade,
    add constraint customer_features_run_id_fkey foreign key (run_id) references score_runs(id) on delete cascade`);
}
