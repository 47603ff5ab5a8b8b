import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../platform/testing/database.ts';
import { getImportReport, importCustomers, type ImportProgress } from './index.ts';
import { csv, csvOptions, jsonOptions, lines } from './testing.ts';

let t: TestDatabase;
beforeAll(async () => {
  t = await createTestDatabase();
});
afterAll(async () => t.drop());
beforeEach(async () => {
  await t.db.raw('truncate customers, imports cascade');
});

const goodFile = lines(
  'Customer ID,E-mail,Mobile,First Name,Last Name,DOB,Country,Email Opt In,sms_consent,Loyalty Tier',
  'C-1,Ana@Example.com,(312) 555-0142,Ana,López,07/04/1990,us,yes,no,gold',
  'C-2,ben@example.com,,Ben,Okafor,1985-02-28,,,,',
  'C-3,,+44 20 7946 0958,Chloé,Martin,,GB,n,yes,silver',
);

async function customers() {
  return t
    .db('customers')
    .orderBy('external_id')
    .select('external_id', 'email', 'phone', 'first_name', 'last_name', 'country', 'age_verified')
    .select(t.db.raw('date_of_birth::text'));
}

async function consents() {
  return t
    .db('consents as k')
    .join('customers as c', 'c.id', 'k.customer_id')
    .orderBy([{ column: 'c.external_id' }, { column: 'k.channel' }, { column: 'k.recorded_at' }])
    .select('c.external_id', 'k.channel', 'k.status', 'k.source');
}

/** Row versions: a customer that was not rewritten keeps its xmin and updated_at. */
async function versions() {
  const rows = await t.db.raw<{ rows: { external_id: string; xmin: string; updated_at: Date }[] }>(
    'select external_id, xmin::text, updated_at from customers order by external_id',
  );
  return rows.rows;
}

describe('importCustomers', () => {
  it('imports a good file and stores its report', async () => {
    const report = await importCustomers(t.db, csv(goodFile), csvOptions);

    expect(report).toMatchObject({
      kind: 'customers',
      source: 'csv',
      filename: 'test.csv',
      status: 'completed',
      error: null,
      rowsTotal: 3,
      rowsAccepted: 3,
      rowsRejected: 0,
      rowsInserted: 3,
      rowsUpdated: 0,
      rowsUnchanged: 0,
      rowsDuplicate: 0,
      rejections: [],
      rejectionsTotal: 0,
      columns: {
        mapped: {
          customer_id: 'Customer ID',
          email: 'E-mail',
          phone: 'Mobile',
          first_name: 'First Name',
          last_name: 'Last Name',
          date_of_birth: 'DOB',
          country: 'Country',
          email_consent: 'Email Opt In',
          sms_consent: 'sms_consent',
        },
        ignored: ['Loyalty Tier'],
      },
    });
    expect(report.finishedAt).toBeInstanceOf(Date);
    expect(await getImportReport(t.db, report.id)).toEqual(report);

    expect(await customers()).toEqual([
      {
        external_id: 'C-1',
        email: 'ana@example.com',
        phone: '+13125550142',
        first_name: 'Ana',
        last_name: 'López',
        date_of_birth: '1990-07-04',
        country: 'US',
        age_verified: false,
      },
      {
        external_id: 'C-2',
        email: 'ben@example.com',
        phone: null,
        first_name: 'Ben',
        last_name: 'Okafor',
        date_of_birth: '1985-02-28',
        country: 'US',
        age_verified: false,
      },
      {
        external_id: 'C-3',
        email: null,
        phone: '+442079460958',
        first_name: 'Chloé',
        last_name: 'Martin',
        date_of_birth: null,
        country: 'GB',
        age_verified: false,
      },
    ]);
    expect(await consents()).toEqual([
      { external_id: 'C-1', channel: 'email', status: 'opted_in', source: 'import' },
      { external_id: 'C-1', channel: 'sms', status: 'opted_out', source: 'import' },
      { external_id: 'C-3', channel: 'email', status: 'opted_out', source: 'import' },
      { external_id: 'C-3', channel: 'sms', status: 'opted_in', source: 'import' },
    ]);
    const evidence = await t.db('consents').first('evidence');
    expect(evidence?.evidence).toEqual({ importId: report.id, line: expect.any(Number) });
  });

  it('commits the good rows of a file with bad ones and reports each bad cell', async () => {
    const file = lines(
      'customer_id,email,phone,dob,email_consent,time_zone',
      'C-1,ana@example.com,3125550142,1990-07-04,yes,America/Chicago',
      'C-2,ben@,12,1990-02-30,maybe,America/Chicago',
      ',carl@example.com,,,,',
      'C-4,dee@example.com,,,,Mars/Olympus',
      'C-5,eve@example.com,,,,',
      'C-6,too,many,fields,here,,x',
    );
    const report = await importCustomers(t.db, csv(file), csvOptions);

    expect(report).toMatchObject({ status: 'completed', rowsTotal: 6, rowsAccepted: 2, rowsRejected: 4 });
    expect(report.rejections).toEqual([
      { line: 3, column: 'email', value: 'ben@', reason: 'not a valid e-mail address' },
      {
        line: 3,
        column: 'phone',
        value: '12',
        reason: 'not a valid phone number (numbers without a country code are read as US)',
      },
      { line: 3, column: 'dob', value: '1990-02-30', reason: 'not a real date (years 1900–2100)' },
      {
        line: 3,
        column: 'email_consent',
        value: 'maybe',
        reason: 'not a consent (use yes/no, true/false, y/n, 1/0, opted_in/opted_out, or leave it blank)',
      },
      { line: 4, column: 'customer_id', value: '', reason: 'required' },
      {
        line: 5,
        column: 'time_zone',
        value: 'Mars/Olympus',
        reason: 'not an IANA time zone such as America/Chicago',
      },
      { line: 7, column: null, value: null, reason: 'the row has 7 fields, the header has 6' },
    ]);
    expect(report.rejectionsTotal).toBe(7);
    expect((await customers()).map((c) => c.external_id)).toEqual(['C-1', 'C-5']);
  });

  it('changes nothing when the same file is imported again', async () => {
    await importCustomers(t.db, csv(goodFile), csvOptions);
    const before = { versions: await versions(), consents: await consents() };

    const again = await importCustomers(t.db, csv(goodFile), csvOptions);

    expect(again).toMatchObject({
      status: 'completed',
      rowsAccepted: 3,
      rowsInserted: 0,
      rowsUpdated: 0,
      rowsUnchanged: 3,
    });
    expect(await versions()).toEqual(before.versions);
    expect(await consents()).toEqual(before.consents);
  });

  it('rewrites only the customers whose values changed, and records only changed consent', async () => {
    await importCustomers(t.db, csv(goodFile), csvOptions);
    const before = await versions();

    const changed = goodFile.replace('ben@example.com', 'ben.okafor@example.com').replace('gold', 'platinum');
    const withdrawn = changed.replace('Ana,López,07/04/1990,us,yes,no', 'Ana,López,07/04/1990,us,no,no');
    const report = await importCustomers(t.db, csv(withdrawn), csvOptions);

    expect(report).toMatchObject({ rowsInserted: 0, rowsUpdated: 2, rowsUnchanged: 1 });
    const after = await versions();
    // C-1 withdrew its e-mail consent, which is a new consent row; the customer row is not rewritten.
    expect(after[0]).toEqual(before[0]);
    expect(after[1]!.updated_at.getTime()).toBeGreaterThan(before[1]!.updated_at.getTime());
    expect(after[2]).toEqual(before[2]);
    expect((await consents()).filter((c) => c.external_id === 'C-1' && c.channel === 'email')).toEqual([
      { external_id: 'C-1', channel: 'email', status: 'opted_in', source: 'import' },
      { external_id: 'C-1', channel: 'email', status: 'opted_out', source: 'import' },
    ]);
  });

  it('never opts a customer back in over an opt-out they gave directly (STOP, unsubscribe link)', async () => {
    await importCustomers(t.db, csv(goodFile), csvOptions);
    const c3 = await t.db('customers').where({ external_id: 'C-3' }).first('id');
    await t.db('consents').insert({ customer_id: c3.id, channel: 'sms', status: 'opted_out', source: 'sms_stop' });

    await importCustomers(t.db, csv(goodFile), csvOptions);
    const sms = (await consents()).filter((c) => c.external_id === 'C-3' && c.channel === 'sms');
    expect(sms.at(-1)).toEqual({ external_id: 'C-3', channel: 'sms', status: 'opted_out', source: 'sms_stop' });
    expect(sms).toHaveLength(2);
  });

  it('leaves alone the fields a file has no column for, and clears those it leaves blank', async () => {
    await importCustomers(t.db, csv(goodFile), csvOptions);
    await importCustomers(t.db, csv(lines('id,first_name,phone', 'C-1,Ana María,')), csvOptions);

    const [ana] = await customers();
    expect(ana).toMatchObject({
      first_name: 'Ana María',
      phone: null,
      email: 'ana@example.com',
      date_of_birth: '1990-07-04',
    });
  });

  it('lets the last row win when a file repeats a customer', async () => {
    const file = lines('id,email', 'C-1,first@example.com', 'C-2,b@example.com', 'C-1,second@example.com');
    const report = await importCustomers(t.db, csv(file), csvOptions);

    expect(report).toMatchObject({ rowsAccepted: 3, rowsInserted: 2, rowsDuplicate: 1 });
    expect((await customers()).map((c) => [c.external_id, c.email])).toEqual([
      ['C-1', 'second@example.com'],
      ['C-2', 'b@example.com'],
    ]);
  });

  it('rejects alone a row the database refuses, and commits the rest of its batch', async () => {
    await t.db.raw(`alter table customers add constraint test_no_blocked check (external_id <> 'BLOCKED')`);
    try {
      const file = lines('id,email', 'C-1,a@example.com', 'BLOCKED,b@example.com', 'C-3,c@example.com');
      const report = await importCustomers(t.db, csv(file), csvOptions);

      expect(report).toMatchObject({ status: 'completed', rowsAccepted: 2, rowsRejected: 1, rowsInserted: 2 });
      expect(report.rejections).toEqual([
        {
          line: 3,
          column: null,
          value: null,
          reason: expect.stringMatching(/^the database refused the row: .*violates check constraint "test_no_blocked"/),
        },
      ]);
      expect((await customers()).map((c) => c.external_id)).toEqual(['C-1', 'C-3']);
    } finally {
      await t.db.raw('alter table customers drop constraint test_no_blocked');
    }
  });

  it('commits batch by batch and reports progress after each', async () => {
    const rows = Array.from({ length: 7 }, (_, i) => `C-${i + 1},c${i + 1}@example.com`);
    const progress: ImportProgress[] = [];
    const report = await importCustomers(t.db, csv(lines('id,email', ...rows, 'C-8,bad')), {
      ...csvOptions,
      batchSize: 3,
      onProgress: (p) => progress.push(p),
    });

    expect(report).toMatchObject({ rowsTotal: 8, rowsAccepted: 7, rowsRejected: 1 });
    expect(progress.map((p) => [p.rowsTotal, p.rowsAccepted, p.rowsRejected])).toEqual([
      [3, 3, 0],
      [6, 6, 0],
      [8, 7, 1],
    ]);
    expect(progress.at(-1)!.bytesRead).toBeGreaterThan(0);
  });

  it('gives the same customers, counts and reasons for the same rows sent as JSON', async () => {
    const file = lines(
      'customer_id,email,phone,dob,age_verified,sms_consent',
      'C-1,Ana@Example.com,(312) 555-0142,07/04/1990,yes,y',
      'C-2,ben@,,1985-02-28,no,',
      'C-3,carl@example.com,,,,opted_out',
    );
    const json = [
      {
        customer_id: 'C-1',
        email: 'Ana@Example.com',
        phone: '(312) 555-0142',
        dob: '07/04/1990',
        age_verified: true,
        sms_consent: 'y',
      },
      { customer_id: 'C-2', email: 'ben@', phone: null, dob: '1985-02-28', age_verified: false },
      { customer_id: 'C-3', email: 'carl@example.com', sms_consent: 'opted_out' },
    ];
    const fromCsv = await importCustomers(t.db, csv(file), csvOptions);
    const state = { customers: await customers(), consents: await consents() };
    await t.db.raw('truncate customers cascade');

    const fromJson = await importCustomers(t.db, json, jsonOptions);

    expect({ customers: await customers(), consents: await consents() }).toEqual(state);
    const counts = (r: typeof fromCsv) => [r.status, r.rowsTotal, r.rowsAccepted, r.rowsRejected, r.rowsInserted];
    expect(counts(fromJson)).toEqual(counts(fromCsv));
    expect(fromJson.source).toBe('json');
    // The same rejection, at the row's position in the array instead of its line in the file.
    expect(fromJson.rejections).toEqual(fromCsv.rejections.map((r) => ({ ...r, line: r.line - 1 })));
  });

  it('rejects JSON rows that are not objects or hold values that are not text', async () => {
    const report = await importCustomers(
      t.db,
      [
        { id: 'C-1' },
        'C-2',
        { id: 'C-3', email: { address: 'c@example.com' } },
        { id: 'C-4', email: 'd@example.com\0' },
      ],
      jsonOptions,
    );

    expect(report.rejections).toEqual([
      { line: 2, column: null, value: null, reason: 'not a JSON object' },
      { line: 3, column: 'email', value: '', reason: 'not text, a number or true/false' },
      { line: 4, column: 'email', value: 'd@example.com\uFFFD', reason: 'contains a NUL character' },
    ]);
    expect(report).toMatchObject({ rowsAccepted: 1, rowsRejected: 3 });
  });

  it('refuses options it cannot work with before recording an import', async () => {
    await expect(importCustomers(t.db, [], { ...jsonOptions, storeTimeZone: 'Mars/Olympus' })).rejects.toThrow(
      "storeTimeZone must be an IANA time zone, got 'Mars/Olympus'",
    );
    await expect(importCustomers(t.db, [], { ...jsonOptions, defaultPhoneRegion: 'usa' })).rejects.toThrow(
      /defaultPhoneRegion must be a two-letter country code/,
    );
    await expect(importCustomers(t.db, [], { ...jsonOptions, batchSize: 0 })).rejects.toThrow(/batchSize must be/);
    expect(await t.db('imports').count<{ count: number }[]>({ count: '*' })).toEqual([{ count: 0 }]);
  });

  it('finds no report for an id it does not know', async () => {
    expect(await getImportReport(t.db, '00000000-0000-4000-8000-000000000000')).toBeUndefined();
    expect(await getImportReport(t.db, 'not-a-uuid')).toBeUndefined();
  });
});
