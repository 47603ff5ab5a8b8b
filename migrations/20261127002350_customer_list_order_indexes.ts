import type { Knex } from 'knex';

/**
 * The customer list sorts by score descending with unscored customers last
 * (`clv desc nulls last, id desc`). The segment and churn-band indexes were ascending, which
 * PostgreSQL can read backwards only as `desc nulls first`, so every filtered page sorted all the
 * segment's customers (≈ 60 ms at 100,000 customers). In the list's own order, a page is the
 * first rows of the index. They replace the ascending ones, which served nothing else.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw('drop index if exists customer_scores_segment_id_clv_index');
  await knex.raw('drop index if exists customer_scores_churn_band_clv_index');
  await knex.raw(
    'create index customer_scores_segment_clv_order on customer_scores (segment_id, clv desc nulls last, customer_id desc)',
  );
  await knex.raw(
    'create index customer_scores_churn_band_clv_order on customer_scores (churn_band, clv desc nulls last, customer_id desc)',
  );
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('drop index if exists customer_scores_churn_band_clv_order');
  await knex.raw('drop index if exists customer_scores_segment_clv_order');
  await knex.raw('create index customer_scores_segment_id_clv_index on customer_scores (segment_id, clv)');
  await knex.raw('create index customer_scores_churn_band_clv_index on customer_scores (churn_band, clv)');
}
