import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { eventually, startTestApi, TEST_PASSWORD, type TestApi } from '../../platform/testing/api.ts';
import { createTestDatabase, type TestDatabase } from '../../platform/testing/database.ts';

function cookies(res: Response): Record<string, string> {
  return Object.fromEntries(
    res.headers.getSetCookie().map((c) => {
      const [pair] = c.split(';');
      const i = pair!.indexOf('=');
      return [pair!.slice(0, i), decodeURIComponent(pair!.slice(i + 1))];
    }),
  );
}

describe('authentication', () => {
  let t: TestDatabase;
  let api: TestApi;
  beforeAll(async () => {
    t = await createTestDatabase();
    api = await startTestApi(t.db, { env: { LOGIN_MAX_FAILURES: '3', LOGIN_LOCKOUT_MINUTES: '15' } });
    await api.tokenFor('manager'); // creates manager@store.example
  });
  beforeEach(async () => {
    await t.db('users').update({ failed_login_count: 0, locked_until: null });
  });
  afterAll(async () => {
    await api.close();
    await t.drop();
  });

  const login = (password = TEST_PASSWORD, email = 'Manager@Store.example') =>
    api.request('POST', '/api/auth/login', { body: { email, password } });

  it('logs in with a short-lived access token, a refresh token and secure cookies', async () => {
    const res = await login();
    expect(res.status).toBe(200);
    const body = await res.json();
    expect(body).toMatchObject({
      tokenType: 'Bearer',
      expiresIn: 900,
      user: { email: 'manager@store.example', role: 'manager' },
    });
    const me = await api.request('GET', '/api/auth/me', { token: body.accessToken });
    expect(await me.json()).toMatchObject({ principal: { kind: 'user', role: 'manager' } });

    const setCookies = res.headers.getSetCookie().join('\n');
    expect(setCookies).toMatch(/lma_access=[^;]+;.*HttpOnly.*Secure.*SameSite=Strict/i);
    expect(setCookies).toMatch(/lma_refresh=[^;]+;.*Path=\/api\/auth.*HttpOnly/i);
    expect(setCookies).not.toMatch(/lma_csrf=[^;]+;.*HttpOnly/i);

    const stored = await t.db('refresh_tokens').select('token_hash');
    expect(stored.map((r) => r.token_hash)).not.toContain(body.refreshToken);
  });

  it('refuses a wrong password without saying whether the account exists', async () => {
    const wrong = await login('nope');
    const unknown = await login('nope', 'nobody@store.example');
    expect(wrong.status).toBe(401);
    expect(unknown.status).toBe(401);
    expect((await wrong.json()).detail).toBe((await unknown.json()).detail);
  });

  it('locks the account after repeated failures, even for the right password', async () => {
    for (let i = 0; i < 2; i++) expect((await login('nope')).status).toBe(401);
    const third = await login('nope');
    expect(third.status).toBe(429);
    expect(Number(third.headers.get('retry-after'))).toBeGreaterThan(0);
    expect((await login()).status).toBe(429);
  });

  it('rotates refresh tokens, and reuse of a rotated one ends the whole session family', async () => {
    const first = await (await login()).json();
    const second = await (
      await api.request('POST', '/api/auth/refresh', { body: { refreshToken: first.refreshToken } })
    ).json();
    expect(second.refreshToken).not.toBe(first.refreshToken);
    const third = await api.request('POST', '/api/auth/refresh', { body: { refreshToken: second.refreshToken } });
    expect(third.status).toBe(200);
    const { refreshToken: latest } = await third.json();

    // The first token was already rotated: someone replayed it.
    const replay = await api.request('POST', '/api/auth/refresh', { body: { refreshToken: first.refreshToken } });
    expect(replay.status).toBe(401);
    const afterReplay = await api.request('POST', '/api/auth/refresh', { body: { refreshToken: latest } });
    expect(afterReplay.status).toBe(401);
  });

  it('logout revokes the refresh token', async () => {
    const session = await (await login()).json();
    expect(
      (await api.request('POST', '/api/auth/logout', { body: { refreshToken: session.refreshToken } })).status,
    ).toBe(204);
    const res = await api.request('POST', '/api/auth/refresh', { body: { refreshToken: session.refreshToken } });
    expect(res.status).toBe(401);
  });

  it('accepts the web app cookies, and requires the CSRF token for changes', async () => {
    const res = await api.request('POST', '/api/auth/login', {
      body: { email: 'manager@store.example', password: TEST_PASSWORD },
    });
    const jar = cookies(res);
    const cookieHeader = `lma_access=${jar.lma_access}; lma_csrf=${jar.lma_csrf}`;
    const me = await api.request('GET', '/api/auth/me', { headers: { cookie: cookieHeader } });
    expect(me.status).toBe(200);

    // An admin-only change is refused for the manager (403) only once CSRF passes; without it, 401.
    const body = { name: 'x', scopes: ['read'] };
    const noCsrf = await api.request('POST', '/api/api-keys', { body, headers: { cookie: cookieHeader } });
    expect(noCsrf.status).toBe(401);
    expect((await noCsrf.json()).detail).toMatch(/CSRF/);
    const withCsrf = await api.request('POST', '/api/api-keys', {
      body,
      headers: { cookie: cookieHeader, 'x-csrf-token': jar.lma_csrf! },
    });
    expect(withCsrf.status).toBe(403);
  });

  it('rejects unknown fields and names bad ones', async () => {
    const res = await api.request('POST', '/api/auth/login', { body: { email: 'a@b.c', password: 'x', admin: true } });
    expect(res.status).toBe(400);
    const problem = await res.json();
    expect(problem.errors).toEqual(expect.arrayContaining([expect.objectContaining({ path: 'body' })]));
  });

  it('records logins and API key changes in the audit log, readable by admins', async () => {
    await login();
    const admin = await api.tokenFor('admin');
    const created = await api.request('POST', '/api/api-keys', {
      token: admin,
      body: { name: 'pos', scopes: ['orders'] },
    });
    expect(created.status).toBe(201);
    const key = await created.json();
    expect(key.key).toMatch(/^lma_[A-Za-z0-9]{12}_/);
    const stored = await t.db('api_keys').where({ id: key.id }).first();
    expect(stored.key_hash).not.toContain(key.key);

    // The trail is written after the response, and earlier tests left refused key requests in it.
    const isKeyEntry = (i: { action: string; entityId?: string }) =>
      i.action === 'POST /api/api-keys' && i.entityId === key.id;
    const log = await eventually(async () => {
      const body = await (await api.request('GET', '/api/audit-log', { token: admin })).json();
      return body.items.some(isKeyEntry) ? body : undefined;
    });
    const actions = log.items.map((i: { action: string }) => i.action);
    expect(actions).toEqual(expect.arrayContaining(['POST /api/auth/login', 'POST /api/api-keys']));
    const keyEntry = log.items.find(isKeyEntry);
    expect(keyEntry).toMatchObject({ actorEmail: 'admin@store.example', entityId: key.id, details: { status: 201 } });
    expect(JSON.stringify(log)).not.toContain(key.key);
    expect(JSON.stringify(log)).not.toContain(TEST_PASSWORD);
  });

  it('accepts a scoped API key and stops accepting it once revoked', async () => {
    const admin = await api.tokenFor('admin');
    const key = await (
      await api.request('POST', '/api/api-keys', { token: admin, body: { name: 'r', scopes: ['read'] } })
    ).json();
    expect((await api.request('GET', '/api/auth/me', { token: key.key })).status).toBe(403);
    expect((await api.request('DELETE', `/api/api-keys/${key.id}`, { token: admin })).status).toBe(204);
    expect((await api.request('GET', '/api/auth/me', { token: key.key })).status).toBe(401);
    const row = await t.db('api_keys').where({ id: key.id }).first();
    expect(row.last_used_at).not.toBeNull();
  });
});
