import type { Knex } from 'knex';

/**
 * Message copy per campaign and segment: subject, body and SMS as Liquid text, written by the
 * planner (LLM or deterministic) and editable by marketers until the plan is approved. Sending
 * renders an action with its segment's copy, so each action keeps the segment it was planned
 * for: a rescoring between approval and sending does not change which copy a customer gets.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('campaign_copy', (t) => {
    t.uuid('id').primary().defaultTo(knex.raw('gen_random_uuid()'));
    t.uuid('campaign_id').notNullable().references('campaigns.id').onDelete('CASCADE');
    t.text('segment_key').notNullable();
    t.text('subject').notNullable();
    // Liquid with the copy variables ({{ first_name }}, {{ offer_label }}, …), see domain/messaging/copy.ts.
    t.text('body_text').notNullable();
    t.text('sms_text').notNullable();
    t.text('source').notNullable().checkIn(['llm', 'deterministic', 'marketer'], 'campaign_copy_source_check');
    t.uuid('updated_by').references('users.id').onDelete('SET NULL').index();
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    // Also the index of the campaign_id foreign key (its first column).
    t.unique(['campaign_id', 'segment_key']);
  });
  await knex.schema.alterTable('actions', (t) => {
    t.text('segment_key');
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('actions', (t) => {
    t.dropColumn('segment_key');
  });
  await knex.schema.dropTableIfExists('campaign_copy');
}
