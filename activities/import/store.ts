import type { Knex } from 'knex';
import type { Db } from '../../platform/db.ts';
import type { ImportColumns, ImportKind, ImportReport, ImportSourceKind, ImportStatus, Rejection } from './types.ts';

/** The `imports` and `import_rejections` tables. */

/** The report's counters, as kept while an import runs. */
export type ImportCounts = Pick<
  ImportReport,
  'rowsTotal' | 'rowsAccepted' | 'rowsRejected' | 'rowsInserted' | 'rowsUpdated' | 'rowsUnchanged' | 'rowsDuplicate'
>;

export const noCounts = (): ImportCounts => ({
  rowsTotal: 0,
  rowsAccepted: 0,
  rowsRejected: 0,
  rowsInserted: 0,
  rowsUpdated: 0,
  rowsUnchanged: 0,
  rowsDuplicate: 0,
});

export async function createImport(
  db: Db,
  fields: {
    kind: ImportKind;
    source: ImportSourceKind;
    filename?: string;
    createdBy?: string;
    apiKeyId?: string;
  },
): Promise<string> {
  const [row] = await db('imports')
    .insert({
      kind: fields.kind,
      source: fields.source,
      filename: fields.filename ?? null,
      created_by: fields.createdBy ?? null,
      api_key_id: fields.apiKeyId ?? null,
    })
    .returning<{ id: string }[]>('id');
  return row!.id;
}

/**
 * Bindings for `unnest(?::text[], …)`: node-postgres sends JS arrays as SQL arrays, nulls
 * included, but knex's binding types only know arrays without nulls.
 */
export function sqlArrays(...bindings: unknown[]): Knex.RawBinding[] {
  return bindings as Knex.RawBinding[];
}

const MAX_VALUE_LENGTH = 200;

/** A rejected value as stored: at most 200 characters, never a half of a surrogate pair, no NUL. */
export function storedValue(value: string | null | undefined): string | null {
  if (value === undefined || value === null) return null;
  let v = value.replaceAll('\0', '\uFFFD');
  if (v.length > MAX_VALUE_LENGTH) {
    const cut = /[\uD800-\uDBFF]/.test(v[MAX_VALUE_LENGTH - 1]!) ? MAX_VALUE_LENGTH - 1 : MAX_VALUE_LENGTH;
    v = v.slice(0, cut);
  }
  return v;
}

/** Inside a batch's transaction: its rejections, and the import's counts after it. */
export async function recordBatch(
  trx: Knex.Transaction,
  importId: string,
  counts: ImportCounts,
  rejections: Rejection[],
): Promise<void> {
  if (rejections.length > 0) {
    await trx.raw(
      `insert into import_rejections (import_id, line, "column", value, reason)
       select ?, r.line, r.column_name, r.value, r.reason
       from unnest(?::int[], ?::text[], ?::text[], ?::text[]) as r(line, column_name, value, reason)`,
      sqlArrays(
        importId,
        rejections.map((r) => r.line),
        rejections.map((r) => r.column),
        rejections.map((r) => storedValue(r.value)),
        rejections.map((r) => r.reason),
      ),
    );
  }
  await trx('imports').where({ id: importId }).update(countColumns(counts));
}

export async function finishImport(
  db: Db,
  importId: string,
  fields: { status: Exclude<ImportStatus, 'running'>; error: string | null; columns: ImportColumns },
): Promise<void> {
  await db('imports')
    .where({ id: importId })
    .update({
      status: fields.status,
      error: fields.error,
      columns: JSON.stringify(fields.columns),
      finished_at: db.fn.now(),
    });
}

function countColumns(c: ImportCounts) {
  return {
    rows_total: c.rowsTotal,
    rows_accepted: c.rowsAccepted,
    rows_rejected: c.rowsRejected,
    rows_inserted: c.rowsInserted,
    rows_updated: c.rowsUpdated,
    rows_unchanged: c.rowsUnchanged,
    rows_duplicate: c.rowsDuplicate,
  };
}

interface ImportRecord {
  id: string;
  kind: ImportKind;
  source: ImportSourceKind;
  filename: string | null;
  status: ImportStatus;
  error: string | null;
  rows_total: number;
  rows_accepted: number;
  rows_rejected: number;
  rows_inserted: number;
  rows_updated: number;
  rows_unchanged: number;
  rows_duplicate: number;
  columns: Partial<ImportColumns>;
  started_at: Date;
  finished_at: Date | null;
}

const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The stored report of an import, with its first `rejectionsLimit` rejections in file order. */
export async function getImportReport(
  db: Db,
  id: string,
  options: { rejectionsLimit?: number } = {},
): Promise<ImportReport | undefined> {
  if (!uuid.test(id)) return undefined;
  const row = await db<ImportRecord>('imports').where({ id }).first();
  if (!row) return undefined;
  const [rejections, [total]] = await Promise.all([
    db('import_rejections')
      .where({ import_id: id })
      .orderBy([{ column: 'line' }, { column: 'id' }])
      .limit(options.rejectionsLimit ?? 100)
      .select<Rejection[]>('line', 'column', 'value', 'reason'),
    db('import_rejections').where({ import_id: id }).count<{ count: number }[]>({ count: '*' }),
  ]);
  return {
    id: row.id,
    kind: row.kind,
    source: row.source,
    filename: row.filename,
    status: row.status,
    error: row.error,
    rowsTotal: row.rows_total,
    rowsAccepted: row.rows_accepted,
    rowsRejected: row.rows_rejected,
    rowsInserted: row.rows_inserted,
    rowsUpdated: row.rows_updated,
    rowsUnchanged: row.rows_unchanged,
    rowsDuplicate: row.rows_duplicate,
    columns: { mapped: row.columns.mapped ?? {}, ignored: row.columns.ignored ?? [] },
    rejections,
    rejectionsTotal: Number(total?.count ?? 0),
    startedAt: row.started_at,
    finishedAt: row.finished_at,
  };
}
