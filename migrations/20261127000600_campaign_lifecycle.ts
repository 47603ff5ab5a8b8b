import type { Knex } from 'knex';

/**
 * What the campaign workflow needs beyond the core model: idempotent creation, the plan's
 * record (planner, tokens, repairs) and results, retry state on ledger rows, and admin
 * notifications for sends that failed for good.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('campaigns', (t) => {
    // An external system retrying "create" with the same key gets the same campaign.
    t.text('idempotency_key').unique();
    t.jsonb('plan_record');
    t.jsonb('results');
    t.text('last_error');
    t.integer('audience_planned').notNullable().defaultTo(0);
    t.timestamp('approved_plan_at', { useTz: true });
    t.text('plan_hash');
  });
  // Set when the plan is approved: the instants the action's window opens and closes in the
  // recipient's time zone, so sending never recomputes time zones.
  await knex.schema.alterTable('actions', (t) => {
    t.timestamp('send_at', { useTz: true });
    t.timestamp('send_until', { useTz: true });
    t.index(['campaign_id', 'day', 'send_at']);
  });
  await knex.schema.alterTable('sends', (t) => {
    t.boolean('retryable');
    t.text('error_code');
  });
  await knex.raw(`alter table sends drop constraint sends_status_check`);
  await knex.raw(`alter table sends add constraint sends_status_check check (status in
    ('pending', 'sending', 'sent', 'delivered', 'failed', 'skipped', 'bounced', 'complained', 'unconfirmed', 'unknown'))`);
  await knex.schema.createTable('notifications', (t) => {
    t.uuid('id').primary().defaultTo(knex.raw('gen_random_uuid()'));
    t.text('kind').notNullable();
    t.text('severity').notNullable().checkIn(['info', 'warning', 'error'], 'notifications_severity_check');
    t.text('title').notNullable();
    t.text('body');
    t.uuid('campaign_id').references('campaigns.id').onDelete('CASCADE').index();
    t.jsonb('details').notNullable().defaultTo('{}');
    // One notification per (kind, key), so a retried activity does not notify twice.
    t.text('dedupe_key').notNullable().unique();
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('read_at', { useTz: true });
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists('notifications');
  await knex.raw(`alter table sends drop constraint sends_status_check`);
  await knex.raw(`update sends set status = 'failed' where status in ('unconfirmed', 'unknown')`);
  await knex.raw(`alter table sends add constraint sends_status_check check (status in
    ('pending', 'sending', 'sent', 'delivered', 'failed', 'skipped', 'bounced', 'complained'))`);
  await knex.schema.alterTable('actions', (t) => {
    t.dropIndex(['campaign_id', 'day', 'send_at']);
    t.dropColumn('send_at');
    t.dropColumn('send_until');
  });
  await knex.schema.alterTable('sends', (t) => {
    t.dropColumn('retryable');
    t.dropColumn('error_code');
  });
  await knex.schema.alterTable('campaigns', (t) => {
    for (const c of [
      'idempotency_key',
      'plan_record',
      'results',
      'last_error',
      'audience_planned',
      'approved_plan_at',
      'plan_hash',
    ]) {
      t.dropColumn(c);
    }
  });
}
