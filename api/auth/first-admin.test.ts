import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../platform/testing/database.ts';
import { ensureFirstAdmin } from './first-admin.ts';
import { verifyPassword } from './passwords.ts';

describe('first admin', () => {
  let t: TestDatabase;
  beforeAll(async () => {
    t = await createTestDatabase();
  });
  afterAll(async () => t.drop());

  it('is created once, with a generated argon2id-hashed password, even by concurrent starts', async () => {
    const results = await Promise.all([
      ensureFirstAdmin(t.db, 'owner@store.example'),
      ensureFirstAdmin(t.db, 'owner@store.example'),
    ]);
    const created = results.filter((r) => r !== undefined);
    expect(created).toHaveLength(1);
    const { password } = created[0]!;
    expect(password.length).toBeGreaterThanOrEqual(32);

    const users = await t.db('users').select('email', 'role', 'password_hash');
    expect(users).toHaveLength(1);
    expect(users[0]).toMatchObject({ email: 'owner@store.example', role: 'admin' });
    expect(users[0].password_hash).toMatch(/^\$argon2id\$/);
    expect(users[0].password_hash).not.toContain(password);
    expect(await verifyPassword(users[0].password_hash, password)).toBe(true);
    expect(await verifyPassword(users[0].password_hash, 'password')).toBe(false);

    expect(await ensureFirstAdmin(t.db, 'owner@store.example')).toBeUndefined();
  });
});
