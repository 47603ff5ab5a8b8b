import knex, { type Knex } from 'knex';
import pg from 'pg';

export type Db = Knex;

// Postgres `numeric` (money) and `bigint` (counts) arrive as strings by default. Counts fit in a
// JS number; money stays a string so that no rounding happens before domain code decides how.
pg.types.setTypeParser(pg.types.builtins.INT8, (v) => Number(v));
// A calendar date is not an instant: keep it as 'YYYY-MM-DD' instead of a Date at local midnight.
pg.types.setTypeParser(pg.types.builtins.DATE, (v) => v);

/** The one database handle of a process. Callers pass it down; nothing else opens a pool. */
export function createDb(connectionString: string, poolMax = 10): Db {
  return knex({
    client: 'pg',
    connection: { connectionString, application_name: 'liquor-marketing-agent' },
    pool: { min: 0, max: poolMax },
    acquireConnectionTimeout: 10_000,
  });
}

/**
 * JSON text for a jsonb parameter. PostgreSQL's jsonb refuses the NUL character and unpaired
 * surrogates, both of which JSON.stringify writes as `\uXXXX` escapes: they become U+FFFD rather
 * than failing the statement (an escaped backslash before them is left alone). The look-behind
 * scan only runs when there is one: almost never.
 */
export function jsonbText(value: unknown): string {
  const text = JSON.stringify(value ?? null);
  return text.includes('\\u0000') || text.includes('\\ud')
    ? text.replace(/(?<!\\)((?:\\\\)*)\\u(?:0000|d[89a-f][0-9a-f]{2})/g, '$1\\ufffd')
    : text;
}

/** Text PostgreSQL can store: NULs and unpaired surrogates become U+FFFD, as a decoder does with bad bytes. */
export const storableText = (text: string) => text.replaceAll('\u0000', '\uFFFD').toWellFormed();

export async function isDatabaseReachable(db: Db): Promise<boolean> {
  try {
    await db.raw('select 1');
    return true;
  } catch {
    return false;
  }
}
