import { Readable } from 'node:stream';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../platform/testing/database.ts';
import { importCustomers, scanCustomers, type ImportReport } from './index.ts';
import { csv, csvOptions, lines } from './testing.ts';

/** Files that are broken as files, rather than rows with bad values. */

let t: TestDatabase;
beforeAll(async () => {
  t = await createTestDatabase();
});
afterAll(async () => t.drop());
beforeEach(async () => {
  await t.db.raw('truncate customers, imports cascade');
});

const imported = async () => t.db('customers').orderBy('external_id').pluck('external_id');
const stored = async (report: ImportReport) => t.db('imports').where({ id: report.id }).first('status', 'error');

describe('a file that cannot be read at all fails the import and writes nothing', () => {
  it.each<[string, Buffer | string, string]>([
    ['an empty file', '', 'The file is empty: it has no header line. Nothing was imported.'],
    [
      'a UTF-16 file',
      Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('id,email\nC-1,a@example.com\n', 'utf16le')]),
      'The file is UTF-16 encoded. Save it as "CSV UTF-8" and import it again. Nothing was imported.',
    ],
    [
      'a big-endian UTF-16 file',
      Buffer.from([0xfe, 0xff, 0x00, 0x69, 0x00, 0x64]),
      'The file is UTF-16 encoded. Save it as "CSV UTF-8" and import it again. Nothing was imported.',
    ],
    [
      'an Excel workbook',
      Buffer.from([0x50, 0x4b, 0x03, 0x04, 0x14, 0x00, 0x06, 0x00]),
      'The file is an Excel workbook (.xlsx) or a ZIP archive, not CSV. Save it as "CSV UTF-8" and import it again. ' +
        'Nothing was imported.',
    ],
    [
      'UTF-16 without a byte order mark',
      Buffer.from('id,email\nC-1,a@example.com\n', 'utf16le'),
      'Line 1 contains a NUL byte: the file is binary, or UTF-16 without a byte order mark. ' +
        'Save it as "CSV UTF-8" and import it again. Nothing was imported.',
    ],
    [
      'a file without the required column',
      lines('Name,E-mail', 'Ana,a@example.com'),
      'Missing required column: customer_id (or "id", "customer number", "customer no", "client id"). ' +
        'Found: "Name", "E-mail". Nothing was imported.',
    ],
  ])('%s', async (_name, content, error) => {
    const report = await importCustomers(t.db, csv(content), csvOptions);

    expect(report).toMatchObject({ status: 'failed', error, rowsTotal: 0, rowsAccepted: 0 });
    expect(await stored(report)).toEqual({ status: 'failed', error });
    expect(await imported()).toEqual([]);
  });
});

describe('a file that breaks part-way keeps the rows before the break and fails the import', () => {
  it('stops at the first line that is not UTF-8', async () => {
    const latin1 = Buffer.concat([
      Buffer.from(lines('id,first_name', 'C-1,Ana', 'C-2,Ben')),
      Buffer.from('C-3,Jos\xe9\nC-4,Dee\n', 'latin1'),
    ]);
    const report = await importCustomers(t.db, csv(latin1), csvOptions);

    expect(report).toMatchObject({ status: 'failed', rowsTotal: 2, rowsAccepted: 2 });
    expect(report.error).toBe(
      'Line 4 is not valid UTF-8 (byte 0xE9); the file is probably in another encoding such as Windows-1252. ' +
        'Save it as "CSV UTF-8" and import it again. The 2 rows before line 4 were read (2 accepted, 0 rejected); ' +
        'importing the corrected file again is safe.',
    );
    expect(await imported()).toEqual(['C-1', 'C-2']);
  });

  it('stops at a quote that is never closed', async () => {
    const file = lines('id,first_name', 'C-1,Ana', 'C-2,"Ben', 'C-3,Carl', 'C-4,Dee');
    const report = await importCustomers(t.db, csv(file), csvOptions);

    expect(report).toMatchObject({ status: 'failed', rowsTotal: 1, rowsAccepted: 1 });
    expect(report.error).toBe(
      'Line 3: a quoted field in the row starting on this line is never closed, so the rest of the file cannot ' +
        'be read. The 1 rows before line 3 were read (1 accepted, 0 rejected); importing the corrected file again ' +
        'is safe.',
    );
    expect(await imported()).toEqual(['C-1']);
  });

  it('stops at a row over 1 MB, even when the rows before it fill several batches', async () => {
    const before = Array.from({ length: 5 }, (_, i) => `C-${i + 1},x`);
    const file = lines('id,first_name', ...before, `C-6,"${'x'.repeat(1024 * 1024 + 1)}"`, 'C-7,y');
    const report = await importCustomers(t.db, csv(file), { ...csvOptions, batchSize: 2 });

    expect(report).toMatchObject({ status: 'failed', rowsTotal: 5, rowsAccepted: 5 });
    expect(report.error).toMatch(/^Line 7: the row starting on this line is longer than 1 MB/);
    expect(await imported()).toEqual(['C-1', 'C-2', 'C-3', 'C-4', 'C-5']);
  });

  it('stops when the file cannot be read any further', async () => {
    async function* failing() {
      yield Buffer.from(lines('id', 'C-1', 'C-2'));
      throw new Error('EIO: i/o error, read');
    }
    const report = await importCustomers(t.db, Readable.from(failing(), { objectMode: false }), csvOptions);

    expect(report).toMatchObject({ status: 'failed', rowsAccepted: 2 });
    expect(report.error).toBe(
      'Could not read the file: EIO: i/o error, read. The 2 rows before that were read (2 accepted, 0 rejected); ' +
        'importing the corrected file again is safe.',
    );
    expect(await imported()).toEqual(['C-1', 'C-2']);
  });
});

describe('rows csv-parse can read past are rejected or read, and the import goes on', () => {
  it('rejects rows with missing or extra fields and tolerates trailing empty ones', async () => {
    const file = lines('id,first_name,last_name', 'C-1,Ana', 'C-2,Ben,Okafor,', 'C-3,Carl,Jones,extra', 'C-4,Dee,Lee');
    const report = await importCustomers(t.db, csv(file), csvOptions);

    expect(report.status).toBe('completed');
    expect(report.rejections).toEqual([
      { line: 2, column: null, value: null, reason: 'the row has 2 fields, the header has 3' },
      { line: 4, column: null, value: null, reason: 'the row has 4 fields, the header has 3' },
    ]);
    expect(await imported()).toEqual(['C-2', 'C-4']);
  });

  it('keeps a stray quote inside a value as a character of that value', async () => {
    const file = lines('id,first_name,email', 'C-1,Ana "Nan" Lopez,a@example.com', 'C-2,"Ben"x,b"@example.com');
    const report = await importCustomers(t.db, csv(file), csvOptions);

    expect(report.rejections).toEqual([
      { line: 3, column: 'email', value: 'b"@example.com', reason: 'not a valid e-mail address' },
    ]);
    expect(await t.db('customers').pluck('first_name')).toEqual(['Ana "Nan" Lopez']);
  });

  it('counts lines as an editor does: CRLF endings, a BOM, blank lines and quoted line breaks', async () => {
    const file =
      '\ufeffid,first_name,email\r\nC-1,"Ana\r\nMaría",a@example.com\r\n\r\nC-2,Ben,bad\r\nC-3,Carl,c@example.com';
    const report = await importCustomers(t.db, csv(file), csvOptions);

    expect(report).toMatchObject({ status: 'completed', rowsTotal: 3, rowsAccepted: 2 });
    expect(report.rejections).toEqual([
      { line: 5, column: 'email', value: 'bad', reason: 'not a valid e-mail address' },
    ]);
    expect(report.columns.mapped.customer_id).toBe('id');
    expect(await t.db('customers').orderBy('external_id').pluck('first_name')).toEqual(['Ana\r\nMaría', 'Carl']);
  });

  it('reads characters and lines split across reads of one byte', async () => {
    const file = lines('id,first_name', 'C-1,Zoë', 'C-2,Jürgen 😀');
    const report = await importCustomers(t.db, csv(file, 1), csvOptions);

    expect(report).toMatchObject({ status: 'completed', rowsAccepted: 2 });
    expect(await t.db('customers').orderBy('external_id').pluck('first_name')).toEqual(['Zoë', 'Jürgen 😀']);
  });

  it('stores a rejected value cut to 200 characters', async () => {
    const long = `${'é'.repeat(300)}@example.com`;
    const report = await importCustomers(t.db, csv(lines('id,email', `C-1,${long}`)), csvOptions);

    expect(report.rejections[0]!.value).toBe('é'.repeat(200));
  });
});

describe('scanCustomers', () => {
  it('validates a file without writing to the database', async () => {
    const file = lines('id,email', 'C-1,a@example.com', 'C-2,bad', '', 'C-3,c@example.com');
    expect(await scanCustomers(csv(file), csvOptions)).toEqual({
      rowsTotal: 3,
      rowsAccepted: 2,
      rowsRejected: 1,
      error: null,
    });
    expect(await imported()).toEqual([]);
  });
});
