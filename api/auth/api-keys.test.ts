import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../platform/testing/database.ts';
import { createApiKeys } from './api-keys.ts';

describe('API keys', () => {
  let t: TestDatabase;
  beforeAll(async () => {
    t = await createTestDatabase();
  });
  afterAll(async () => t.drop());

  /** Statements sent to api_keys while `run` runs. */
  async function keyQueries(run: () => Promise<unknown>): Promise<string[]> {
    const sql: string[] = [];
    const listener = (q: { sql: string }) => {
      if (q.sql.includes('api_keys')) sql.push(q.sql);
    };
    t.db.on('query', listener);
    try {
      await run();
    } finally {
      t.db.off('query', listener);
    }
    return sql;
  }

  it('reads a verified key once, then trusts it for a few seconds', async () => {
    let clock = Date.now();
    const keys = createApiKeys(t.db, { verifiedKeyMs: 5_000, now: () => clock });
    const key = await keys.create({ name: 'pos', role: 'user', scopes: ['read'] });

    const first = await keyQueries(() => keys.authenticate(key.key));
    expect(first.some((q) => q.startsWith('select'))).toBe(true);
    expect(await keyQueries(() => keys.authenticate(key.key))).toEqual([]);
    expect(await keys.authenticate(key.key)).toMatchObject({ kind: 'api_key', apiKeyId: key.id, scopes: ['read'] });

    clock += 5_000;
    const again = await keyQueries(() => keys.authenticate(key.key));
    expect(again.some((q) => q.startsWith('select'))).toBe(true);
  });

  it('reads a key once for all the requests that present it while it is being read', async () => {
    const keys = createApiKeys(t.db);
    const key = await keys.create({ name: 'pos', role: 'user', scopes: ['read'] });
    const sql = await keyQueries(async () => {
      const principals = await Promise.all(Array.from({ length: 20 }, () => keys.authenticate(key.key)));
      expect(principals.every((p) => p?.apiKeyId === key.id)).toBe(true);
    });
    expect(sql.filter((q) => q.startsWith('select'))).toHaveLength(1);
  });

  it('refuses a key revoked through the same process at once', async () => {
    const keys = createApiKeys(t.db);
    const key = await keys.create({ name: 'pos', role: 'user', scopes: ['read'] });
    expect(await keys.authenticate(key.key)).toBeDefined();
    expect(await keys.revoke(key.id)).toBe(true);
    expect(await keys.authenticate(key.key)).toBeUndefined();
  });

  it('refuses a key revoked through another process once the verified time is over', async () => {
    let clock = Date.now();
    const here = createApiKeys(t.db, { verifiedKeyMs: 5_000, now: () => clock });
    const elsewhere = createApiKeys(t.db);
    const key = await here.create({ name: 'pos', role: 'user', scopes: ['read'] });
    expect(await here.authenticate(key.key)).toBeDefined();

    await elsewhere.revoke(key.id);
    clock += 4_999;
    expect(await here.authenticate(key.key)).toBeDefined();
    clock += 1;
    expect(await here.authenticate(key.key)).toBeUndefined();
  });

  it('does not keep a key whose lookup was under way when it was revoked', async () => {
    const keys = createApiKeys(t.db);
    const key = await keys.create({ name: 'pos', role: 'user', scopes: ['read'] });
    const pending = keys.authenticate(key.key);
    await keys.revoke(key.id);
    await pending;
    expect(await keys.authenticate(key.key)).toBeUndefined();
  });

  it('refuses a trusted key the moment it expires', async () => {
    let clock = Date.now();
    const keys = createApiKeys(t.db, { verifiedKeyMs: 60_000, now: () => clock });
    const key = await keys.create({
      name: 'pos',
      role: 'user',
      scopes: ['read'],
      expiresAt: new Date(clock + 2_000),
    });
    expect(await keys.authenticate(key.key)).toBeDefined();
    clock += 2_000;
    expect(await keyQueries(async () => expect(await keys.authenticate(key.key)).toBeUndefined())).not.toEqual([]);
  });

  it('refuses a wrong secret behind a known prefix, even while the real key is trusted', async () => {
    const keys = createApiKeys(t.db);
    const key = await keys.create({ name: 'pos', role: 'user', scopes: ['read'] });
    expect(await keys.authenticate(key.key)).toBeDefined();
    const forged = key.key.slice(0, -4) + (key.key.endsWith('AAAA') ? 'BBBB' : 'AAAA');
    expect(await keys.authenticate(forged)).toBeUndefined();
  });

  it('records when a trusted key was last used, at most once a minute', async () => {
    let clock = Date.now();
    const keys = createApiKeys(t.db, { verifiedKeyMs: 10 * 60_000, now: () => clock });
    const key = await keys.create({ name: 'pos', role: 'user', scopes: ['read'] });
    await keys.authenticate(key.key);
    const firstUse = (await t.db('api_keys').where({ id: key.id }).first()).last_used_at as Date;
    expect(firstUse).not.toBeNull();

    clock += 30_000;
    expect((await keyQueries(() => keys.authenticate(key.key))).filter((q) => q.startsWith('update'))).toEqual([]);
    // The database's own clock decides whether a minute has passed: move the record back a minute.
    await t
      .db('api_keys')
      .where({ id: key.id })
      .update({ last_used_at: t.db.raw("now() - interval '2 minutes'") });
    clock += 30_000;
    expect((await keyQueries(() => keys.authenticate(key.key))).filter((q) => q.startsWith('update'))).toHaveLength(1);
    const row = await t.db('api_keys').where({ id: key.id }).first();
    expect(Date.now() - row.last_used_at.getTime()).toBeLessThan(60_000);
  });
});
