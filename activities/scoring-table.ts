import type { Knex } from 'knex';
import type { Db } from '../platform/db.ts';

/**
 * A scoring run writes its scores into a fresh table, `customer_scores_next`, and swaps it in for
 * `customer_scores` at the end. Inserting a million rows into a table with seven indexes and
 * three foreign keys (and deleting the last run's) cost several times more than building the
 * indexes once afterwards; the swap itself is a rename in a short transaction.
 *
 * The indexes and constraints of the new table are copied from the live table's catalog entries
 * at the end of each run, so that a migration that changes `customer_scores` changes what every
 * later run builds. Grants on the table are not carried over.
 */

export const NEXT_SCORES = 'customer_scores_next';
const LIVE_SCORES = 'customer_scores';

/** Starts a run's scores table: the live table's columns, defaults and checks, no index or key yet. */
export async function createNextScores(db: Db): Promise<void> {
  await db.raw(`drop table if exists ${NEXT_SCORES}`);
  // Autovacuum would only compete with the index builds; the swap turns it back on and analyzes.
  await db.raw(
    `create table ${NEXT_SCORES} (like ${LIVE_SCORES} including defaults including constraints)
     with (autovacuum_enabled = false)`,
  );
}

interface Structure {
  kind: 'key' | 'index' | 'foreign key';
  /** Builds it on the next table, under a temporary name if the name is schema-wide. */
  build: string;
  /** After the swap: gives it the live table's name back. */
  rename?: string;
}

/** The live table's keys, foreign keys and indexes, restated for the next table. */
async function liveStructures(db: Knex | Knex.Transaction): Promise<Structure[]> {
  const { rows: constraints } = await db.raw<{ rows: { name: string; type: string; def: string }[] }>(
    `select conname as name, contype as type, pg_get_constraintdef(oid) as def from pg_constraint
     where conrelid = ?::regclass and contype in ('p', 'u', 'f') order by contype desc, conname`,
    [LIVE_SCORES],
  );
  const { rows: indexes } = await db.raw<{ rows: { name: string; def: string }[] }>(
    `select i.indexrelid::regclass::text as name, pg_get_indexdef(i.indexrelid) as def from pg_index i
     where i.indrelid = ?::regclass
       and not exists (select 1 from pg_constraint c where c.conrelid = i.indrelid and c.conindid = i.indexrelid)
     order by 1`,
    [LIVE_SCORES],
  );
  const { rows: triggers } = await db.raw<{ rows: { name: string }[] }>(
    `select tgname as name from pg_trigger where tgrelid = ?::regclass and not tgisinternal`,
    [LIVE_SCORES],
  );
  if (triggers.length > 0) {
    // Triggers are not restated here; swapping would drop them without a word.
    throw new Error(
      `${LIVE_SCORES} has triggers (${triggers.map((t) => t.name).join(', ')}): scoring-table.ts must learn to carry them over`,
    );
  }
  const structures = constraints.map((c, i): Structure =>
    // Key constraints own an index, whose name must be unique in the schema until the swap.
    c.type === 'f'
      ? { kind: 'foreign key', build: `alter table ${NEXT_SCORES} add constraint ${c.name} ${c.def}` }
      : {
          kind: 'key',
          build: `alter table ${NEXT_SCORES} add constraint scores_next_key_${i} ${c.def}`,
          rename: `alter table ${LIVE_SCORES} rename constraint scores_next_key_${i} to ${c.name}`,
        },
  );
  indexes.forEach((index, i) => {
    const on = /^CREATE (UNIQUE )?INDEX \S+ ON \S+ (.*)$/.exec(index.def);
    if (!on) throw new Error(`Unexpected index definition on ${LIVE_SCORES}: ${index.def}`);
    structures.push({
      kind: 'index',
      build: `create ${on[1] ?? ''}index scores_next_index_${i} on ${NEXT_SCORES} ${on[2]}`,
      rename: `alter index scores_next_index_${i} rename to ${index.name}`,
    });
  });
  return structures;
}

/**
 * Builds the next table's keys and indexes, then swaps it in. The indexes are built `parallel` at a
 * time (each on its own connection; CREATE INDEX statements do not block one another); foreign
 * keys come last, one at a time, as ALTER TABLE statements on one table wait for each other
 * anyway. Readers wait for the swap's short exclusive lock, never see a half-written table, and
 * a failed run leaves the live scores as they were.
 */
export async function swapInNextScores(
  db: Db,
  options: {
    parallel: number;
    inSwap: (trx: Knex.Transaction) => Promise<void>;
  },
): Promise<void> {
  const structures = await liveStructures(db);
  const { rows: liveOptions } = await db.raw<{ rows: { options: string[] | null }[] }>(
    `select reloptions as options from pg_class where oid = ?::regclass`,
    [LIVE_SCORES],
  );
  const storage = liveOptions[0]?.options ?? [];
  const run = (statement: string) =>
    db.transaction(async (trx) => {
      await trx.raw(`set local maintenance_work_mem = '256MB'`);
      await trx.raw('set local max_parallel_maintenance_workers = 0');
      await trx.raw(statement);
    });
  for (const s of structures.filter((s) => s.kind === 'key')) await run(s.build);
  const indexes = structures.filter((s) => s.kind === 'index').map((s) => s.build);
  const builders = Array.from({ length: Math.max(1, options.parallel) }, async () => {
    for (let statement = indexes.shift(); statement; statement = indexes.shift()) await run(statement);
  });
  await Promise.all(builders);
  for (const s of structures.filter((s) => s.kind === 'foreign key')) await run(s.build);

  await db.transaction(async (trx) => {
    await trx.raw(`lock table ${LIVE_SCORES} in access exclusive mode`);
    // Without `cascade`: anything that depends on the table (a view, say) stops the swap loudly.
    await trx.raw(`drop table ${LIVE_SCORES}`);
    await trx.raw(`alter table ${NEXT_SCORES} rename to ${LIVE_SCORES}`);
    for (const s of structures) if (s.rename) await trx.raw(s.rename);
    // The live table's own storage settings, which `create table … like` does not copy.
    await trx.raw(`alter table ${LIVE_SCORES} reset (autovacuum_enabled)`);
    if (storage.length > 0) await trx.raw(`alter table ${LIVE_SCORES} set (${storage.join(', ')})`);
    await options.inSwap(trx);
  });
  await db.raw(`analyze ${LIVE_SCORES}`);
}
