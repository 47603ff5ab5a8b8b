import type { Knex } from 'knex';

/**
 * A revoked API key is announced on the real-time channel, so that every API process stops
 * trusting it at once rather than when its few seconds of verified-key cache run out
 * (api/auth/api-keys.ts): whichever process revoked it, or an operator's `update` in the database.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    create function api_key_revoked() returns trigger language plpgsql as $$
    begin
      perform pg_notify('lma_realtime', json_build_object('kind', 'api_key_revoked', 'apiKeyId', new.id)::text);
      return null;
    end $$`);
  await knex.raw(`create trigger api_keys_revoked after update of revoked_at on api_keys
    for each row when (old.revoked_at is null and new.revoked_at is not null)
    execute function api_key_revoked()`);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('drop trigger api_keys_revoked on api_keys');
  await knex.raw('drop function api_key_revoked()');
}
