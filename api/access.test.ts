import { randomUUID } from 'node:crypto';
import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApi, type TestApi } from '../platform/testing/api.ts';
import { createTestDatabase, type TestDatabase } from '../platform/testing/database.ts';
import { accessTable, type AccessRule } from './access.ts';
import { roles, type Role } from './auth/roles.ts';

/**
 * Walks the whole route × role table: every route with every role, no token, an expired token,
 * a tampered token, an unsigned (`alg: none`) token and an API key without the route's scope.
 */
describe('route × role table', () => {
  let t: TestDatabase;
  let api: TestApi;
  const tokens = {} as Record<Role | 'expired' | 'tampered' | 'unsigned' | 'wrongKey' | 'scopelessKey', string>;

  beforeAll(async () => {
    t = await createTestDatabase();
    api = await startTestApi(t.db);
    for (const role of roles) tokens[role] = await api.tokenFor(role);
    const [header, payload, signature] = tokens.admin.split('.') as [string, string, string];
    // Same claims, but the payload says user→admin without a new signature.
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString());
    tokens.tampered = [
      header,
      Buffer.from(JSON.stringify({ ...claims, role: 'admin', sub: randomUUID() })).toString('base64url'),
      signature,
    ].join('.');
    // `alg: none`: the admin's own claims, no signature at all.
    tokens.unsigned = [
      Buffer.from(JSON.stringify({ alg: 'none', typ: 'JWT' })).toString('base64url'),
      payload,
      '',
    ].join('.');
    const past = Math.floor(Date.now() / 1000) - 3600;
    tokens.expired = await new SignJWT({ role: 'admin', email: 'admin@store.example' })
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject(randomUUID())
      .setIssuer('liquor-marketing-agent')
      .setAudience('lma-api')
      .setIssuedAt(past - 900)
      .setExpirationTime(past)
      .sign(new TextEncoder().encode('test-secret-that-is-long-enough-for-hs256-signing'));
    tokens.wrongKey = 'lma_AAAAAAAAAAAA_' + 'x'.repeat(43);
    tokens.scopelessKey = (
      await api.services.apiKeys.create({ name: 'no scopes', role: 'admin', scopes: ['read'] })
    ).key;
  });
  afterAll(async () => {
    await api.close();
    await t.drop();
  });

  const entries = Object.entries(accessTable) as [string, AccessRule][];

  it.each(entries)('%s', async (key, rule) => {
    const [method, template] = key.split(' ') as [string, string];
    const path = template.replace(/:(\w+)/g, () => randomUUID());
    const call = async (token?: string) =>
      (await api.request(method, path, { token, body: method === 'GET' ? undefined : {} })).status;

    if ('public' in rule) {
      // A public route proves the caller by other means: a token changes nothing about access.
      const anonymous = await call();
      expect(anonymous).not.toBe(403);
      expect(await call(tokens.user)).toBe(anonymous);
      return;
    }
    expect(await call()).toBe(401);
    expect(await call(tokens.expired)).toBe(401);
    expect(await call(tokens.tampered)).toBe(401);
    expect(await call(tokens.unsigned)).toBe(401);
    expect(await call(tokens.wrongKey)).toBe(401);
    for (const role of roles) {
      const status = await call(tokens[role]);
      if ((rule.roles as readonly Role[]).includes(role))
        expect([401, 403], `${role} may ${key}`).not.toContain(status);
      else expect(status, `${role} may not ${key}`).toBe(403);
    }
    if (rule.apiKey !== 'read') expect(await call(tokens.scopelessKey)).toBe(403);
  });
});
