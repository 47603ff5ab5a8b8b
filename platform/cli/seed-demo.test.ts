import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateLiquorStore } from '../../bench/datagen/liquor-store.ts';
import { createTestDatabase, type TestDatabase } from '../testing/database.ts';

const root = fileURLToPath(new URL('../..', import.meta.url));

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function seedDemoCli(args: string[], env: NodeJS.ProcessEnv): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['platform/cli/seed-demo.ts', ...args], {
      cwd: root,
      env: { ...process.env, LOG_LEVEL: 'warn', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.once('error', reject);
    child.once('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('npm run seed:demo', () => {
  let t: TestDatabase;
  let dataDir: string;
  let env: NodeJS.ProcessEnv;
  beforeAll(async () => {
    // An empty database: the command must migrate it itself.
    t = await createTestDatabase({ migrated: false });
    dataDir = mkdtempSync(path.join(os.tmpdir(), 'lma-seed-demo-'));
    env = { DATABASE_URL: t.url, DATA_DIR: dataDir, STORE_TIME_ZONE: 'America/Chicago' };
  });
  afterAll(async () => {
    await t.drop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('migrates, seeds the store the generator describes, and says what it did', async () => {
    const run = await seedDemoCli(['--customers', '1500', '--seed', '7', '--as-of', '2026-11-26'], env);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);

    const store = generateLiquorStore({
      seed: 7,
      customerCount: 1500,
      asOf: new Date('2026-11-27T06:00:00Z'), // local midnight after the last day
    });
    let orders = 0;
    let consents = 0;
    for (const c of store.customers()) {
      orders += c.orders.length;
      consents += c.consents.length;
    }
    const n = (table: string) => t.db(table).count({ n: '*' }).first();
    expect(await n('customers')).toEqual({ n: 1500 });
    expect(await n('orders')).toEqual({ n: orders });
    expect(await n('consents')).toEqual({ n: consents });
    const latest = await t.db('orders').max({ at: 'ordered_at' }).first();
    expect(latest!.at.getTime()).toBeLessThan(Date.parse('2026-11-27T06:00:00Z'));

    expect(run.stdout).toContain('1,000 / 1,500 customers (66%)');
    expect(run.stdout).toMatch(/seed 7; orders 2024-11-27 – 2026-11-26, America\/Chicago/);
    expect(run.stdout).toMatch(/customers\s+1,500 inserted, 0 already present/);
    expect(run.stdout).toMatch(new RegExp(`orders\\s+${orders.toLocaleString('en-US')} inserted, 0 already present`));
  });

  it('changes nothing when run again with the same arguments', async () => {
    const run = await seedDemoCli(['--customers', '1500', '--seed', '7', '--as-of', '2026-11-26'], env);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/customers\s+0 inserted, 1,500 already present/);
    expect(run.stdout).toContain('Nothing new');
    expect(await t.db('customers').count({ n: '*' }).first()).toEqual({ n: 1500 });
  });

  it.each([
    [['--customers', 'many'], '--customers: must be a number'],
    [['--customers', '0'], '--customers: must be at least 1'],
    [['--customers', '2.5'], '--customers: must be a whole number'],
    [['--seed=-1'], '--seed: must not be negative'],
    [['--as-of', '2026-02-30'], '--as-of: must be a real date, as YYYY-MM-DD'],
    [['--as-of', 'yesterday'], '--as-of: must be a real date, as YYYY-MM-DD'],
    [['--shoppers', '10'], "Unknown option '--shoppers'"],
  ])('refuses %j with a clear message and exit code 2', async (args, message) => {
    const run = await seedDemoCli(args, env);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(message);
    expect(run.stderr).toContain('Usage: npm run seed:demo');
    expect(run.stdout).toBe('');
  });

  it('explains itself with --help', async () => {
    const run = await seedDemoCli(['--help'], env);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('--customers N');
  });
});
