import type { Knex } from 'knex';

// When an admin notification was pushed to Slack and/or e-mailed, so that a retried activity
// delivers one that is still pending and never one already delivered.
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('notifications', (t) => {
    t.timestamp('delivered_at', { useTz: true });
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('notifications', (t) => {
    t.dropColumn('delivered_at');
  });
}
