import type { Knex } from 'knex';
import { defaultSegments } from '../domain/segments/playbooks.ts';

/** Seeds the 10 RFM segments and their playbooks. Marketers edit playbooks later; this never overwrites. */
export async function up(knex: Knex): Promise<void> {
  await knex('segments')
    .insert(
      defaultSegments.map((s, i) => ({
        key: s.key,
        name: s.name,
        description: s.description,
        rules: JSON.stringify(s.rules),
        playbook: JSON.stringify(s.playbook),
        is_system: true,
        sort_order: i + 1,
      })),
    )
    .onConflict('key')
    .ignore();
}

export async function down(knex: Knex): Promise<void> {
  await knex('segments')
    .whereIn(
      'key',
      defaultSegments.map((s) => s.key),
    )
    .andWhere({ is_system: true })
    .delete();
}
