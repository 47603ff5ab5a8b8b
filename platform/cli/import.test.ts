import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../testing/database.ts';

const root = fileURLToPath(new URL('../../', import.meta.url));
let t: TestDatabase;
let dir: string;

beforeAll(async () => {
  t = await createTestDatabase();
  dir = mkdtempSync(path.join(os.tmpdir(), 'lma-import-cli-'));
});
afterAll(async () => {
  rmSync(dir, { recursive: true, force: true });
  await t.drop();
});

function file(name: string, content: string | Buffer): string {
  const p = path.join(dir, name);
  writeFileSync(p, content);
  return p;
}

function runImport(...args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['platform/cli/import.ts', ...args], {
      cwd: root,
      env: { ...process.env, DATABASE_URL: t.url, LOG_LEVEL: 'warn' },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('npm run import', () => {
  it('imports a file, shows progress and a summary with the first rejected rows, and exits 0', async () => {
    const customers = file(
      'customers.csv',
      'Customer ID,E-mail,Phone\nC-1,ana@example.com,(312) 555-0142\nC-2,ben@,\nC-3,carl@example.com,12\nC-4,dee@example.com,\n',
    );
    const result = await runImport('customers', customers, '--batch-size', '2');

    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^Imported customers from customers\.csv in \d+\.\d s \([\d,]+ rows\/s\)\.\n/);
    expect(result.stdout).toContain(
      [
        '  rows read  4',
        '  accepted   2 (2 new, 0 updated, 0 unchanged, 0 repeated in the file)',
        '  rejected   2',
      ].join('\n'),
    );
    expect(result.stdout).toContain(
      [
        'First rejected rows:',
        '  line 3 E-mail "ben@": not a valid e-mail address',
        '  line 4 Phone "12": not a valid phone number (numbers without a country code are read as US)',
      ].join('\n'),
    );
    // Not a terminal: progress comes as lines.
    expect(result.stderr).toMatch(/^\d+% {2}[\d,]+ rows {2}[\d,]+ rows\/s {2}accepted \d+ {2}rejected \d+$/m);
    expect(await t.db('customers').orderBy('external_id').pluck('external_id')).toEqual(['C-1', 'C-4']);
  });

  it('imports orders for the customers it knows and exits 0', async () => {
    const orders = file(
      'orders.csv',
      'invoice,customer_id,date,amount\nI-1,C-1,2026-01-31,10\nI-2,C-99,2026-01-31,5\n',
    );
    const result = await runImport('orders', orders);

    expect(result.code).toBe(0);
    expect(result.stdout).toContain('  accepted   1 (1 new, 0 already imported)');
    expect(result.stdout).toContain('  line 3 customer_id "C-99": unknown customer_id C-99');
  });

  it.each<[string, () => string[], RegExp]>([
    [
      'the file does not exist',
      () => ['customers', path.join(dir, 'missing.csv')],
      /^File not found: .*missing\.csv$/m,
    ],
    [
      'a required column is missing',
      () => ['orders', file('no-total.csv', 'order_id,customer_id,date\nI-1,C-1,2026-01-31\n')],
      /failed: Missing required column: total \(or "amount", "sale dollars", "order total", "total amount"\)\. Found: "order_id", "customer_id", "date"\. Nothing was imported\./,
    ],
    [
      'the file is not UTF-8',
      () => ['customers', file('latin1.csv', Buffer.from('id,first_name\nC-1,Jos\xe9\n', 'latin1'))],
      /failed: Line 2 is not valid UTF-8 \(byte 0xE9\)/,
    ],
  ])('exits 1 when %s', async (_name, args, message) => {
    const result = await runImport(...args());

    expect(result.code).toBe(1);
    expect(result.stdout + result.stderr).toMatch(message);
  });

  it.each([
    [['products', 'x.csv'], "Import what? Got 'products'."],
    [['customers'], 'Name exactly one CSV file.'],
    [['orders', 'x.csv', '--time-zone', 'Central'], '--time-zone must be an IANA time zone such as America/Chicago.'],
  ])('exits 2 and shows how to use it when called as %j', async (args, message) => {
    const result = await runImport(...args);

    expect(result.code).toBe(2);
    expect(result.stderr).toBe(
      `${message}\nUsage: npm run import -- customers|orders <file.csv> [--phone-region US] ` +
        '[--time-zone America/Chicago] [--batch-size 5000]\n',
    );
  });
});
