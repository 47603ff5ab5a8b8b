import { Readable } from 'node:stream';
import { setImmediate } from 'node:timers/promises';
import type { Knex } from 'knex';
import { resolveColumns, type ColumnMap, type ImportKind } from '../../domain/import/columns.ts';
import { canonicalTimeZone } from '../../domain/import/local-time.ts';
import { checkRow, type RowSchema, type SourceRow } from '../../domain/import/rows.ts';
import type { Db } from '../../platform/db.ts';
import { ImportFileError } from './encoding.ts';
import { openCsv, openJson, type RecordSource, type SourceRecord } from './records.ts';
import { createImport, finishImport, getImportReport, noCounts, recordBatch, type ImportCounts } from './store.ts';
import type { ImportColumns, ImportOptions, ImportReport, ImportSource, Rejection } from './types.ts';

/**
 * The import loop shared by customers and orders: read, validate, and commit in batches, one
 * transaction each, while the next batch is being read and validated.
 */

export interface LinedRow<R> {
  line: number;
  row: R;
}

/** What writing one batch did. `rejections` are rows the database turned away, one per row. */
export interface WriteOutcome {
  inserted: number;
  updated: number;
  unchanged: number;
  duplicate: number;
  rejections: Rejection[];
}

export interface WriteContext {
  importId: string;
  columns: ColumnMap;
}

export interface ImportHandler<R> {
  kind: ImportKind;
  schema(options: ImportOptions): RowSchema<R>;
  write(trx: Knex.Transaction, rows: LinedRow<R>[], context: WriteContext): Promise<WriteOutcome>;
}

interface Batch<R> {
  rows: LinedRow<R>[];
  rejections: Rejection[];
  rowsRead: number;
  rowsRejected: number;
}

const DEFAULT_BATCH_SIZE = 5_000;
// A batch waits in memory and its transaction holds its row locks until it is written; past this
// size neither buys any speed.
const MAX_BATCH_SIZE = 50_000;
const YIELD_EVERY = 250;

export async function runImport<R>(
  db: Db,
  handler: ImportHandler<R>,
  source: ImportSource,
  options: ImportOptions,
): Promise<ImportReport> {
  assertOptions(options);
  const importId = await createImport(db, { ...options, kind: handler.kind });
  const started = performance.now();
  const counts = noCounts();
  let columns: ImportColumns = { mapped: {}, ignored: [] };
  let columnMap: ColumnMap | undefined;
  let bytesRead = () => 0;

  const commit = async (batch: Batch<R>) => {
    const outcome = await writeBatch(db, handler, batch, { importId, columns: columnMap! }, counts);
    Object.assign(counts, outcome);
    options.onProgress?.({
      rowsTotal: counts.rowsTotal,
      rowsAccepted: counts.rowsAccepted,
      rowsRejected: counts.rowsRejected,
      bytesRead: bytesRead(),
      elapsedMs: performance.now() - started,
    });
  };

  let failure: ImportFileError | undefined;
  try {
    let pending: Promise<void> | undefined;
    try {
      const opened = await open(handler.kind, source);
      bytesRead = opened.bytesRead;
      columnMap = opened.columns;
      columns = { mapped: columnMap.headers, ignored: columnMap.ignored };
      const schema = handler.schema(options);
      const batchSize = options.batchSize ?? DEFAULT_BATCH_SIZE;
      for await (const batch of validatedBatches(opened, schema, batchSize)) {
        // One batch in flight: the database writes it while this process reads the next.
        await pending;
        pending = commit(batch);
        pending.catch(() => undefined); // awaited above or below; this only keeps it from counting as unhandled
      }
    } catch (err) {
      if (!(err instanceof ImportFileError)) throw err;
      failure = err;
    }
    await pending;
  } catch (err) {
    await finishImport(db, importId, { status: 'failed', error: `Import stopped: ${errorText(err)}`, columns }).catch(
      () => undefined,
    );
    throw err;
  }

  const error = failure ? describeFailure(failure, counts) : null;
  await finishImport(db, importId, { status: failure ? 'failed' : 'completed', error, columns });
  return (await getImportReport(db, importId, { rejectionsLimit: options.rejectionsLimit }))!;
}

export interface ScanResult {
  rowsTotal: number;
  rowsAccepted: number;
  rowsRejected: number;
  error: string | null;
}

/** Reads and validates a source without touching the database: a dry run. */
export async function scanImport<R>(
  handler: Pick<ImportHandler<R>, 'kind' | 'schema'>,
  source: ImportSource,
  options: ImportOptions,
): Promise<ScanResult> {
  assertOptions(options);
  const counts = noCounts();
  try {
    const opened = await open(handler.kind, source);
    for await (const batch of validatedBatches(
      opened,
      handler.schema(options),
      options.batchSize ?? DEFAULT_BATCH_SIZE,
    )) {
      counts.rowsTotal += batch.rowsRead;
      counts.rowsAccepted += batch.rows.length;
      counts.rowsRejected += batch.rowsRejected;
    }
    return { ...pick(counts), error: null };
  } catch (err) {
    if (!(err instanceof ImportFileError)) throw err;
    return { ...pick(counts), error: describeFailure(err, counts) };
  }
}

/** Options come from configuration and the API; a bad one is a caller's error, not the file's. */
function assertOptions(options: ImportOptions): void {
  if (!/^[A-Z]{2}$/.test(options.defaultPhoneRegion)) {
    throw new RangeError(`defaultPhoneRegion must be a two-letter country code, got '${options.defaultPhoneRegion}'`);
  }
  if (canonicalTimeZone(options.storeTimeZone) === undefined) {
    throw new RangeError(`storeTimeZone must be an IANA time zone, got '${options.storeTimeZone}'`);
  }
  const size = options.batchSize;
  if (size !== undefined && !(Number.isInteger(size) && size >= 1 && size <= MAX_BATCH_SIZE)) {
    throw new RangeError(`batchSize must be a whole number from 1 to ${MAX_BATCH_SIZE}, got ${size}`);
  }
  const limit = options.rejectionsLimit;
  if (limit !== undefined && !(Number.isInteger(limit) && limit >= 0)) {
    throw new RangeError(`rejectionsLimit must be a whole number, got ${limit}`);
  }
}

const pick = ({ rowsTotal, rowsAccepted, rowsRejected }: ImportCounts) => ({ rowsTotal, rowsAccepted, rowsRejected });

async function open(kind: ImportKind, source: ImportSource): Promise<RecordSource & { columns: ColumnMap }> {
  const opened = source instanceof Readable ? await openCsv(source) : openJson(source);
  const resolution = resolveColumns(kind, opened.header);
  if (!resolution.ok) {
    await opened.close();
    throw new ImportFileError(resolution.message);
  }
  return { ...opened, columns: resolution.columns };
}

function describeFailure(failure: ImportFileError, counts: ImportCounts): string {
  const message = /[.!?]$/.test(failure.message) ? failure.message : `${failure.message}.`;
  if (counts.rowsTotal === 0) return `${message} Nothing was imported.`;
  const where = failure.line === undefined ? 'before that' : `before line ${failure.line}`;
  return (
    `${message} The ${counts.rowsTotal} rows ${where} were read (${counts.rowsAccepted} accepted, ` +
    `${counts.rowsRejected} rejected); importing the corrected file again is safe.`
  );
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/**
 * Validated rows in batches of `batchSize` source rows. When the source breaks part-way, the rows
 * read before the break still come out as a last batch before the error.
 */
async function* validatedBatches<R>(
  source: RecordSource & { columns: ColumnMap },
  schema: RowSchema<R>,
  batchSize: number,
): AsyncGenerator<Batch<R>> {
  const { columns, header } = source;
  const fields = Object.entries(columns.indexes);
  let batch: Batch<R> = { rows: [], rejections: [], rowsRead: 0, rowsRejected: 0 };
  let sinceYield = 0;
  try {
    for await (const record of source.records) {
      // Parsing runs from microtask to microtask; without a turn of the event loop now and then
      // the database's replies for the batch in flight would wait until a file read completes.
      if (++sinceYield === YIELD_EVERY) {
        sinceYield = 0;
        await setImmediate();
      }
      batch.rowsRead++;
      const problem = record.problem ?? lengthProblem(record, header.length);
      if (problem) {
        batch.rowsRejected++;
        const column = problem.column === null ? null : (header[problem.column] ?? null);
        const value = problem.column === null ? null : (record.cells[problem.column] ?? null);
        batch.rejections.push({ line: record.line, column, value, reason: problem.reason });
      } else {
        const input: SourceRow = {};
        for (const [field, index] of fields) input[field] = record.cells[index];
        const checked = checkRow(schema, input);
        if (checked.ok) {
          batch.rows.push({ line: record.line, row: checked.row });
        } else {
          batch.rowsRejected++;
          for (const e of checked.errors) {
            const value = input[e.field];
            batch.rejections.push({
              line: record.line,
              column: columns.headers[e.field] ?? e.field,
              value: value === undefined ? null : value,
              reason: e.reason,
            });
          }
        }
      }
      if (batch.rowsRead >= batchSize) {
        yield batch;
        batch = { rows: [], rejections: [], rowsRead: 0, rowsRejected: 0 };
      }
    }
  } catch (err) {
    if (batch.rowsRead > 0) yield batch;
    throw err;
  }
  if (batch.rowsRead > 0) yield batch;
}

function lengthProblem(record: SourceRecord, expected: number): SourceRecord['problem'] {
  const { cells } = record;
  // Trailing empty fields (a spreadsheet's stray commas) are harmless; missing or extra values are not.
  if (cells.length === expected || (cells.length > expected && cells.slice(expected).every((c) => c === ''))) {
    return undefined;
  }
  return { column: null, reason: `the row has ${cells.length} fields, the header has ${expected}` };
}

// Data exceptions, integrity violations and program limits (e.g. a value too big to index) are
// caused by one row's values; anything else (connection lost, deadlock) is not the row's fault.
const rowErrorClasses = new Set(['22', '23', '54']);

function isRowError(err: unknown): err is Error & { code: string } {
  const code = (err as { code?: unknown }).code;
  return typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code) && rowErrorClasses.has(code.slice(0, 2));
}

/** knex puts the SQL in front of PostgreSQL's message; the row's reason is PostgreSQL's part. */
function databaseReason(err: Error): string {
  const cut = err.message.lastIndexOf(' - ');
  return `the database refused the row: ${cut === -1 ? err.message : err.message.slice(cut + 3)}`;
}

async function writeBatch<R>(
  db: Db,
  handler: ImportHandler<R>,
  batch: Batch<R>,
  context: WriteContext,
  before: ImportCounts,
): Promise<ImportCounts> {
  const save = async (trx: Knex.Transaction, outcome: WriteOutcome) => {
    const after = addOutcome(before, batch, outcome);
    const rejections = [...batch.rejections, ...outcome.rejections].sort((a, b) => a.line - b.line);
    await recordBatch(trx, context.importId, after, rejections);
    return after;
  };
  try {
    return await db.transaction(async (trx) => save(trx, await handler.write(trx, batch.rows, context)));
  } catch (err) {
    if (!isRowError(err)) throw err;
  }
  // Some row broke the batch: write the rows one by one, each behind a savepoint, and reject the
  // ones the database refuses.
  return db.transaction(async (trx) => {
    const total: WriteOutcome = { inserted: 0, updated: 0, unchanged: 0, duplicate: 0, rejections: [] };
    for (const row of batch.rows) {
      try {
        const one = await trx.transaction((sp) => handler.write(sp, [row], context));
        total.inserted += one.inserted;
        total.updated += one.updated;
        total.unchanged += one.unchanged;
        total.duplicate += one.duplicate;
        total.rejections.push(...one.rejections);
      } catch (err) {
        if (!isRowError(err)) throw err;
        total.rejections.push({ line: row.line, column: null, value: null, reason: databaseReason(err) });
      }
    }
    return save(trx, total);
  });
}

function addOutcome<R>(c: ImportCounts, batch: Batch<R>, outcome: WriteOutcome): ImportCounts {
  const refused = new Set(outcome.rejections.map((r) => r.line)).size;
  return {
    rowsTotal: c.rowsTotal + batch.rowsRead,
    rowsAccepted: c.rowsAccepted + batch.rows.length - refused,
    rowsRejected: c.rowsRejected + batch.rowsRejected + refused,
    rowsInserted: c.rowsInserted + outcome.inserted,
    rowsUpdated: c.rowsUpdated + outcome.updated,
    rowsUnchanged: c.rowsUnchanged + outcome.unchanged,
    rowsDuplicate: c.rowsDuplicate + outcome.duplicate,
  };
}
