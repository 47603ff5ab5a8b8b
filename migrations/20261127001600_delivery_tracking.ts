import type { Knex } from 'knex';

/**
 * What the campaign's delivery waits need:
 *
 * - A Twilio status callback can arrive before the send that caused it has recorded the
 *   MessageSid (the provider answers the API call and posts the callback at once). Such a
 *   receipt is stored unmatched; these indexes let the send, once it records its id, find its
 *   early receipts and their analytics rows without scanning either table.
 * - A text sent instead of an e-mail that could not reach its customer points at that
 *   e-mail's ledger row, with the reason.
 * - Each campaign day's results, recorded once its delivery outcomes are in.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw(
    `create index webhook_receipts_unmatched_twilio_sid on webhook_receipts ((payload->>'MessageSid'))
     where send_id is null and provider = 'twilio'`,
  );
  await knex.raw(
    `create index analytics_events_unmatched_message on analytics_events ((properties->>'providerMessageId'))
     where send_id is null`,
  );
  await knex.schema.alterTable('sends', (t) => {
    t.uuid('fallback_of').references('sends.id').onDelete('SET NULL').index();
    t.text('fallback_reason');
  });
  await knex.schema.alterTable('campaigns', (t) => {
    t.jsonb('day_results').notNullable().defaultTo('{}');
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('campaigns', (t) => {
    t.dropColumn('day_results');
  });
  await knex.schema.alterTable('sends', (t) => {
    t.dropColumn('fallback_reason');
    t.dropColumn('fallback_of');
  });
  await knex.raw('drop index if exists analytics_events_unmatched_message');
  await knex.raw('drop index if exists webhook_receipts_unmatched_twilio_sid');
}
