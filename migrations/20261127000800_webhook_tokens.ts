import type { Knex } from 'knex';

/**
 * The single-use tokens of signed webhook requests (Mailgun's `signature.token`). A request
 * whose token is here already is a replay and is refused. A token is only kept while its
 * signature is fresh: after `expires_at` a replay fails the freshness check anyway.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('webhook_tokens', (t) => {
    t.text('provider').notNullable();
    t.text('token').notNullable();
    t.timestamp('expires_at', { useTz: true }).notNullable();
    t.primary(['provider', 'token']);
    t.index(['expires_at']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists('webhook_tokens');
}
