import { Readable } from 'node:stream';
import { CsvError, parse, type Options } from 'csv-parse';
import { ImportFileError, utf8Lines, type ByteCheck } from './encoding.ts';

/** One row of a source, before validation. The first record of a CSV file is its header. */
export interface SourceRecord {
  /** Line where the record starts (CSV), or 1-based position in the array (JSON). */
  line: number;
  cells: string[];
  /** Why the row cannot be read at all; `column` is an index into the header, or null. */
  problem?: { column: number | null; reason: string };
}

export interface RecordSource {
  header: string[];
  records: AsyncIterable<SourceRecord>;
  bytesRead(): number;
  /** Stops reading early and lets go of the file. */
  close(): Promise<void>;
}

/** No real customer or order row comes near this; a row that does is a quote never closed. */
export const MAX_RECORD_BYTES = 1024 * 1024;

export async function openCsv(source: Readable): Promise<RecordSource> {
  const check: ByteCheck = { bytesRead: 0 };
  const records = csvRecords(source, check)[Symbol.asyncIterator]();
  const first = await records.next();
  if (first.done) {
    await records.return?.(undefined);
    throw check.failure ?? new ImportFileError('The file is empty: it has no header line.');
  }
  return {
    header: first.value.cells.map((h) => h.trim()),
    records: { [Symbol.asyncIterator]: () => records },
    bytesRead: () => check.bytesRead,
    close: async () => void (await records.return?.(undefined)),
  };
}

async function* csvRecords(source: Readable, check: ByteCheck): AsyncGenerator<SourceRecord> {
  const bytes = Readable.from(utf8Lines(source, check), { objectMode: false });
  const parser = parse({
    bom: true,
    // Row lengths and stray quotes are judged per row by the import, which can say which line.
    relax_column_count: true,
    relax_quotes: true,
    max_record_size: MAX_RECORD_BYTES,
    // Without it the parser discards the records it still buffers when it fails; with it they are
    // read out first, so every row before a broken one is imported.
    autoDestroy: false,
  } as Options);
  bytes.pipe(parser);
  // Every record (blank lines too) starts on a new line and spans one more for each line break
  // inside its quoted fields. csv-parse's own count is off after a quoted CRLF, which it counts twice.
  let line = 1;
  try {
    for await (const cells of parser as AsyncIterable<string[]>) {
      // Blank lines separate nothing in a CSV file; they are not rows.
      if (!cells.every((c) => c.trim() === '')) yield { line, cells };
      line += 1 + lineBreaks(cells);
    }
  } catch (err) {
    if (check.failure) throw check.failure;
    throw csvProblem(err, line);
  } finally {
    bytes.destroy();
    parser.destroy();
    source.destroy();
  }
  if (check.failure) throw check.failure;
}

function lineBreaks(cells: string[]): number {
  let n = 0;
  for (const cell of cells) {
    if (!cell.includes('\n') && !cell.includes('\r')) continue;
    for (let i = 0; i < cell.length; i++) {
      const c = cell.charCodeAt(i);
      if (c === 0x0a || (c === 0x0d && cell.charCodeAt(i + 1) !== 0x0a)) n++;
    }
  }
  return n;
}

function csvProblem(err: unknown, line: number): Error {
  if (!(err instanceof CsvError)) return err as Error;
  if (err.code === 'CSV_QUOTE_NOT_CLOSED') {
    return new ImportFileError(
      `Line ${line}: a quoted field in the row starting on this line is never closed, so the rest of the file ` +
        `cannot be read.`,
      line,
    );
  }
  if (err.code === 'CSV_MAX_RECORD_SIZE') {
    return new ImportFileError(
      `Line ${line}: the row starting on this line is longer than 1 MB, almost always because of a quote that ` +
        `is never closed.`,
      line,
    );
  }
  return new ImportFileError(`Line ${line}: ${err.message}`, line);
}

/**
 * JSON rows as records: the header is every key found in any object, in order of appearance, and
 * a key an object lacks reads as a blank cell.
 */
export function openJson(items: readonly unknown[]): RecordSource {
  const keys = new Map<string, number>();
  for (const item of items) {
    if (isPlainObject(item)) for (const key of Object.keys(item)) if (!keys.has(key)) keys.set(key, keys.size);
  }
  const header = [...keys.keys()];
  async function* records(): AsyncGenerator<SourceRecord> {
    for (let i = 0; i < items.length; i++) yield jsonRecord(items[i], i + 1, header);
  }
  return { header, records: records(), bytesRead: () => 0, close: async () => undefined };
}

function jsonRecord(item: unknown, line: number, header: string[]): SourceRecord {
  if (!isPlainObject(item)) return { line, cells: [], problem: { column: null, reason: 'not a JSON object' } };
  const cells: string[] = [];
  let problem: SourceRecord['problem'];
  header.forEach((key, column) => {
    const value = item[key];
    if (value === undefined || value === null) cells.push('');
    else if (typeof value === 'string') {
      if (value.includes('\0')) problem ??= { column, reason: 'contains a NUL character' };
      cells.push(value);
    } else if (typeof value === 'number' && Number.isFinite(value)) cells.push(String(value));
    else if (typeof value === 'boolean') cells.push(String(value));
    else {
      problem ??= { column, reason: 'not text, a number or true/false' };
      cells.push('');
    }
  });
  return problem ? { line, cells, problem } : { line, cells };
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
