import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApi, type TestApi } from '../../platform/testing/api.ts';
import { createTestDatabase, type TestDatabase } from '../../platform/testing/database.ts';

describe('users API', () => {
  let t: TestDatabase;
  let api: TestApi;
  let admin: string;

  beforeAll(async () => {
    t = await createTestDatabase();
    api = await startTestApi(t.db);
    admin = await api.tokenFor('admin');
  });
  afterAll(async () => {
    await api.close();
    await t.drop();
  });

  const login = (email: string, password: string) =>
    api.request('POST', '/api/auth/login', { body: { email, password } });

  it('adds a user with a one-time password that signs in, and lists users without their hashes', async () => {
    const res = await api.request('POST', '/api/users', {
      token: admin,
      body: { email: 'Sam@Store.example', displayName: 'Sam', role: 'manager' },
    });
    expect(res.status).toBe(201);
    const { user, password } = await res.json();
    expect(user).toMatchObject({ email: 'Sam@Store.example', displayName: 'Sam', role: 'manager', disabledAt: null });
    expect(password).toMatch(/^[\w-]{32}$/);
    expect((await login('sam@store.example', password)).status).toBe(200);

    const list = await (await api.request('GET', '/api/users', { token: admin })).json();
    expect(list.items.map((u: any) => u.email)).toContain('Sam@Store.example');
    expect(JSON.stringify(list)).not.toMatch(/password|hash|\$argon2/);
    const audit = await t.db('audit_log').where({ entity_id: user.id }).select('details');
    expect(JSON.stringify(audit)).toContain('manager');
    expect(JSON.stringify(audit)).not.toContain(password);
  });

  it('refuses a second user with the same e-mail, and unknown or bad fields', async () => {
    const again = await api.request('POST', '/api/users', {
      token: admin,
      body: { email: 'sam@STORE.example', role: 'user' },
    });
    expect(again.status).toBe(409);
    const bad = await api.request('POST', '/api/users', {
      token: admin,
      body: { email: 'not-an-email', role: 'owner', password: 'chosen' },
    });
    expect(bad.status).toBe(400);
    expect(bad.headers.get('content-type')).toMatch(/problem\+json/);
    const paths = (await bad.json()).errors.map((e: any) => e.path);
    expect(paths).toEqual(expect.arrayContaining(['body.email', 'body.role', 'body']));
  });

  it('changes a role, and disabling signs the user out for good', async () => {
    const { user, password } = await (
      await api.request('POST', '/api/users', { token: admin, body: { email: 'kim@store.example', role: 'user' } })
    ).json();
    const promoted = await api.request('PATCH', `/api/users/${user.id}`, { token: admin, body: { role: 'manager' } });
    expect(await promoted.json()).toMatchObject({ role: 'manager', disabledAt: null });

    const session = await (await login('kim@store.example', password)).json();
    const disabled = await api.request('PATCH', `/api/users/${user.id}`, { token: admin, body: { disabled: true } });
    expect((await disabled.json()).disabledAt).not.toBeNull();
    expect((await login('kim@store.example', password)).status).toBe(401);
    const refresh = await api.request('POST', '/api/auth/refresh', { body: { refreshToken: session.refreshToken } });
    expect(refresh.status).toBe(401);

    const enabled = await api.request('PATCH', `/api/users/${user.id}`, { token: admin, body: { disabled: false } });
    expect((await enabled.json()).disabledAt).toBeNull();
    expect((await login('kim@store.example', password)).status).toBe(200);
  });

  it("ends the rights of a user's tokens already issued at once when their role changes or they are disabled", async () => {
    const { user, password } = await (
      await api.request('POST', '/api/users', { token: admin, body: { email: 'lee@store.example', role: 'admin' } })
    ).json();
    const session = await (await login('lee@store.example', password)).json();
    const me = (token: string) => api.request('GET', '/api/auth/me', { token });
    const users = (token: string) => api.request('GET', '/api/users', { token });
    expect((await users(session.accessToken)).status).toBe(200);

    await api.request('PATCH', `/api/users/${user.id}`, { token: admin, body: { role: 'user' } });
    // The token still carries the admin role and is unexpired, yet speaks for Lee no more.
    const stale = await users(session.accessToken);
    expect(stale.status).toBe(401);
    expect((await stale.json()).detail).toMatch(/role or access changed.*sign in again/);
    expect((await me(session.accessToken)).status).toBe(401);
    // The web app's refresh gets a token with the new role.
    const refreshed = await (
      await api.request('POST', '/api/auth/refresh', { body: { refreshToken: session.refreshToken } })
    ).json();
    expect((await me(refreshed.accessToken)).status).toBe(200);
    expect((await (await me(refreshed.accessToken)).json()).principal.role).toBe('user');
    expect((await users(refreshed.accessToken)).status).toBe(403);

    // Disabled: the fresh token is refused too, and so is its refresh token.
    await api.request('PATCH', `/api/users/${user.id}`, { token: admin, body: { disabled: true } });
    expect((await me(refreshed.accessToken)).status).toBe(401);
    const again = await api.request('POST', '/api/auth/refresh', { body: { refreshToken: refreshed.refreshToken } });
    expect(again.status).toBe(401);
    // A change of name only leaves tokens alone.
    const [{ access_version: before }] = await t.db('users').where({ id: user.id }).select('access_version');
    await api.request('PATCH', `/api/users/${user.id}`, { token: admin, body: { displayName: 'Lee' } });
    const [{ access_version: after }] = await t.db('users').where({ id: user.id }).select('access_version');
    expect([before, after]).toEqual([2, 2]);
    expect((await users(admin)).status).toBe(200);
  });

  it('never leaves the platform without an active admin', async () => {
    const [me] = await t.db('users').where({ email: 'admin@store.example' }).select('id');
    const demote = await api.request('PATCH', `/api/users/${me.id}`, { token: admin, body: { role: 'user' } });
    expect(demote.status).toBe(409);
    const disable = await api.request('PATCH', `/api/users/${me.id}`, { token: admin, body: { disabled: true } });
    expect(disable.status).toBe(409);
    expect((await t.db('users').where({ id: me.id }).first()).role).toBe('admin');
  });

  it('answers 404 for an unknown user and 400 for an empty change', async () => {
    const missing = await api.request('PATCH', '/api/users/00000000-0000-4000-8000-000000000000', {
      token: admin,
      body: { role: 'user' },
    });
    expect(missing.status).toBe(404);
    const [me] = await t.db('users').where({ email: 'admin@store.example' }).select('id');
    expect((await api.request('PATCH', `/api/users/${me.id}`, { token: admin, body: {} })).status).toBe(400);
  });
});
