import type { Knex } from 'knex';

/**
 * Access tokens are trusted by their signature for their few minutes, so a user disabled or given
 * another role kept the old rights until theirs expired. Each user now carries an access version
 * that the database raises whenever the role or the disabled flag changes — through the API or
 * an operator's `update` — and announces on the real-time channel, so that every API process
 * refuses the tokens issued under an older version at once (api/auth/user-access.ts).
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('users', (t) => {
    t.integer('access_version').notNullable().defaultTo(0);
  });
  await knex.raw(`
    create function user_access_changed() returns trigger language plpgsql as $$
    begin
      new.access_version := old.access_version + 1;
      -- Delivered at commit, and not at all if the change is rolled back.
      perform pg_notify('lma_realtime', json_build_object(
        'kind', 'user_access_changed', 'userId', new.id, 'accessVersion', new.access_version)::text);
      return new;
    end $$`);
  await knex.raw(`create trigger users_access_changed before update of role, disabled_at on users
    for each row when (old.role is distinct from new.role or old.disabled_at is distinct from new.disabled_at)
    execute function user_access_changed()`);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('drop trigger users_access_changed on users');
  await knex.raw('drop function user_access_changed()');
  await knex.schema.alterTable('users', (t) => {
    t.dropColumn('access_version');
  });
}
