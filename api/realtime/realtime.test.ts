import { randomUUID } from 'node:crypto';
import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import WebSocket from 'ws';
import { insertCampaign, insertCustomer, insertSend } from '../../activities/webhooks/testing.ts';
import { startTestApi, type TestApi } from '../../platform/testing/api.ts';
import { createTestDatabase, type TestDatabase } from '../../platform/testing/database.ts';
import { ACCESS_COOKIE } from '../auth/middleware.ts';
import type { ServerMessage } from './protocol.ts';
import { isType, progressOf, refusedWith, TestSocket } from './testing.ts';

const TEST_SECRET = 'test-secret-that-is-long-enough-for-hs256-signing';

async function signToken(claims: { sub: string; role: string; email: string }, expiresInSeconds: number) {
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({ role: claims.role, email: claims.email })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setSubject(claims.sub)
    .setIssuer('liquor-marketing-agent')
    .setAudience('lma-api')
    .setIssuedAt(now)
    .setExpirationTime(now + expiresInSeconds)
    .sign(new TextEncoder().encode(TEST_SECRET));
}

describe('real-time WebSocket at /ws', () => {
  let t: TestDatabase;
  let api: TestApi;
  let token: string;
  const open: TestSocket[] = [];
  const connect = async (target: TestApi, headers: Record<string, string>, options?: WebSocket.ClientOptions) => {
    const client = new TestSocket(target.url, headers, options);
    open.push(client);
    await client.opened;
    return client;
  };
  const bearer = (tok: string) => ({ authorization: `Bearer ${tok}` });

  beforeAll(async () => {
    t = await createTestDatabase();
    api = await startTestApi(t.db, { realtime: { windowMs: 50 } });
    await api.realtime.ready;
    token = await api.tokenFor('user');
  });
  afterAll(async () => {
    for (const c of open) c.close();
    await api.close();
    await t.drop();
  });

  describe('refuses upgrades before the handshake', () => {
    it('without credentials, with a tampered or expired token, or an unknown API key: 401', async () => {
      const [header, payload, signature] = token.split('.') as [string, string, string];
      const claims = JSON.parse(Buffer.from(payload, 'base64url').toString());
      const tampered = [
        header,
        Buffer.from(JSON.stringify({ ...claims, role: 'admin' })).toString('base64url'),
        signature,
      ];
      const expired = await signToken({ sub: randomUUID(), role: 'admin', email: 'a@store.example' }, -60);
      expect(await refusedWith(api.url, {})).toBe(401);
      expect(await refusedWith(api.url, bearer(tampered.join('.')))).toBe(401);
      expect(await refusedWith(api.url, bearer(expired))).toBe(401);
      expect(await refusedWith(api.url, { cookie: `${ACCESS_COOKIE}=${tampered.join('.')}` })).toBe(401);
      expect(await refusedWith(api.url, bearer(`lma_AAAAAAAAAAAA_${'x'.repeat(43)}`))).toBe(401);
      expect(await refusedWith(api.url, { authorization: `Basic ${token}` })).toBe(401);
    });

    it('from a foreign origin, even with a valid session cookie: 403', async () => {
      const cookie = `${ACCESS_COOKIE}=${token}`;
      expect(await refusedWith(api.url, { cookie, origin: 'https://evil.example' })).toBe(403);
      expect(await refusedWith(api.url, { cookie, origin: 'null' })).toBe(403);
    });

    it('for an API key without the read scope: 403; with it, the socket opens', async () => {
      const importOnly = await api.services.apiKeys.create({ name: 'import', role: 'admin', scopes: ['import'] });
      expect(await refusedWith(api.url, bearer(importOnly.key))).toBe(403);
      const reader = await api.services.apiKeys.create({ name: 'reader', role: 'user', scopes: ['read'] });
      const client = await connect(api, bearer(reader.key));
      await client.subscribe(['campaigns']);
    });

    it('answers a plain GET /ws with 426 once signed in, 401 before', async () => {
      expect((await api.request('GET', '/ws')).status).toBe(401);
      const res = await api.request('GET', '/ws', { token });
      expect(res.status).toBe(426);
      expect(res.headers.get('content-type')).toMatch(/problem\+json/);
    });
  });

  it('accepts the session cookie from the app’s own origin', async () => {
    const client = await connect(api, { cookie: `${ACCESS_COOKIE}=${token}`, origin: api.url });
    await client.subscribe(['engagement']);
    expect(client.messages.at(-1)).toEqual({ type: 'subscribed', topics: ['engagement'] });
  });

  it('answers bad messages with an error and keeps the connection', async () => {
    const client = await connect(api, bearer(token));
    const cases: unknown[] = [
      'not json',
      { type: 'subscribe' },
      { type: 'subscribe', topics: ['campaign:not-a-uuid'] },
      { type: 'subscribe', topics: ['everything'] },
      { type: 'dance' },
      { type: 'subscribe', topics: ['campaigns'], extra: true },
    ];
    for (const message of cases) {
      const from = client.messages.length;
      client.send(message);
      const reply = await client.next(isType('error'), { from });
      expect(reply.error).toMatch(/^bad_(json|message)$/);
    }
    let from = client.messages.length;
    client.ws.send(Buffer.from([1, 2, 3]), { binary: true });
    expect((await client.next(isType('error'), { from })).error).toBe('bad_message');

    from = client.messages.length;
    const unknown = randomUUID();
    client.send({ type: 'subscribe', topics: [`campaign:${unknown}`] });
    expect(await client.next(isType('error'), { from })).toEqual({
      type: 'error',
      error: 'unknown_campaign',
      detail: unknown,
    });
    await client.subscribe(['campaigns']);
    expect(client.ws.readyState).toBe(WebSocket.OPEN);
  });

  it('pushes campaign progress and ledger events after a ledger change', async () => {
    const campaignId = await insertCampaign(t.db);
    const client = await connect(api, bearer(token));
    await client.subscribe([`campaign:${campaignId}`, 'campaigns']);
    const initial = await client.next(progressOf(campaignId));
    expect(initial.progress).toMatchObject({ campaignId, status: 'draft', day: null, counts: {}, ledger: [] });

    const customer = await insertCustomer(t.db);
    const send = await insertSend(t.db, { customerId: customer.id, campaignId, status: 'sent' });
    const after = await client.next(progressOf(campaignId, (p) => p.counts.sent === 1));
    expect(after.progress).toMatchObject({ day: 0, ledger: [{ channel: 'email', status: 'sent', count: 1 }] });
    expect(await client.next((m): m is Extract<ServerMessage, { type: 'events' }> => m.type === 'events')).toEqual({
      type: 'events',
      campaignId,
      ledger: { sent: 1 },
      engagement: {},
    });

    await t.db('sends').where({ id: send.id }).update({ status: 'delivered', delivered_at: new Date() });
    await t.db('analytics_events').insert([
      { occurred_at: new Date(), type: 'delivered', campaign_id: campaignId, send_id: send.id },
      { occurred_at: new Date(), type: 'opened', campaign_id: campaignId, send_id: send.id },
    ]);
    await client.next(progressOf(campaignId, (p) => p.counts.delivered === 1 && !p.counts.sent));
    const engagement = await client.next(
      (m): m is Extract<ServerMessage, { type: 'events' }> => m.type === 'events' && m.engagement.opened === 1,
    );
    expect(engagement.engagement).toEqual({ delivered: 1, opened: 1 });

    await t.db('campaigns').where({ id: campaignId }).update({ status: 'active' });
    // The campaign's creation (status draft) may be announced after the subscription too.
    const isActive = (m: ServerMessage): m is Extract<ServerMessage, { type: 'campaign' }> =>
      m.type === 'campaign' && m.status === 'active';
    expect(await client.next(isActive)).toEqual({ type: 'campaign', campaignId, status: 'active' });
    await client.next(progressOf(campaignId, (p) => p.status === 'active'));
  });

  it('recomputes progress once per window however many clients watch', async () => {
    const campaignId = await insertCampaign(t.db);
    const clients = await Promise.all(Array.from({ length: 5 }, () => connect(api, bearer(token))));
    for (const c of clients) await c.subscribe([`campaign:${campaignId}`]);
    const readsBefore = api.realtime.hub.stats().progressReads;
    const customer = await insertCustomer(t.db);
    await insertSend(t.db, { customerId: customer.id, campaignId, status: 'failed' });
    await Promise.all(clients.map((c) => c.next(progressOf(campaignId, (p) => p.counts.failed === 1))));
    // Other tests' campaigns may share a window, never a read per client.
    expect(api.realtime.hub.stats().progressReads - readsBefore).toBeLessThan(clients.length);
  });

  it('closes the socket with 4001 when the access token expires, so the client refreshes', async () => {
    const user = await t.db('users').where({ role: 'user' }).first('id', 'email');
    const shortLived = await signToken({ sub: user.id, role: 'user', email: user.email }, 3);
    const client = await connect(api, bearer(shortLived));
    expect(await client.closed).toEqual({ code: 4001, reason: 'access token expired' });
  });

  it('drops a client that stops answering pings', async () => {
    const pinging = await startTestApi(t.db, { realtime: { heartbeatMs: 100 } });
    try {
      const client = await connect(pinging, bearer(await pinging.tokenFor('user')), { autoPong: false });
      await client.closed;
      expect(pinging.realtime.hub.stats()).toMatchObject({ clients: 0, terminatedDead: 1 });
    } finally {
      await pinging.close();
    }
  });

  it('closes the socket with 4003 when its API key is revoked', async () => {
    // Long enough for a pong on a busy machine: this client is alive, only its key is not.
    const checking = await startTestApi(t.db, { realtime: { heartbeatMs: 1_000 } });
    try {
      const key = await checking.services.apiKeys.create({ name: 'dashboard', role: 'user', scopes: ['read'] });
      const client = await connect(checking, bearer(key.key));
      await client.subscribe(['campaigns']);
      await checking.services.apiKeys.revoke(key.id);
      expect(await client.closed).toEqual({ code: 4003, reason: 'credentials revoked' });
    } finally {
      await checking.close();
    }
  });

  it('a key revoked through another API process, or in the database, is refused here at once', async () => {
    // Each API process trusts a verified key for 5 s; the revocation notice ends that early.
    const other = await startTestApi(t.db);
    try {
      await other.realtime.ready;
      const keys = api.services.apiKeys;
      for (const revoke of [
        (id: string) => other.services.apiKeys.revoke(id),
        (id: string) => t.db('api_keys').where({ id }).update({ revoked_at: t.db.fn.now() }),
      ]) {
        const key = await keys.create({ name: 'till', role: 'user', scopes: ['read'] });
        expect(await keys.authenticate(key.key)).toMatchObject({ apiKeyId: key.id });
        const revokedAt = Date.now();
        await revoke(key.id);
        await vi.waitFor(async () => expect(await keys.authenticate(key.key)).toBeUndefined(), {
          timeout: 10_000,
          interval: 20,
        });
        expect(Date.now() - revokedAt).toBeLessThan(4_000);
      }
    } finally {
      await other.close();
    }
  });

  it("a user's role changed through another API process, or in the database, ends their tokens here at once", async () => {
    // Each API process reads users' access versions again every 5 s; the database's notice is sooner.
    const other = await startTestApi(t.db);
    try {
      await other.realtime.ready;
      const access = api.services.userAccess;
      const otherAdmin = await other.tokenFor('admin');
      const changes = [
        (id: string) =>
          other.request('PATCH', `/api/users/${id}`, { token: otherAdmin, body: { role: 'manager' } }).then(() => {}),
        (id: string) =>
          t
            .db('users')
            .where({ id })
            .update({ role: 'user' })
            .then(() => {}),
      ];
      const [user] = await t
        .db('users')
        .insert({ email: 'rio@store.example', password_hash: 'x', role: 'user' })
        .returning(['id', 'access_version']);
      for (const [i, change] of changes.entries()) {
        const issued = { userId: user.id, accessVersion: user.access_version + i };
        expect(await access.allows(issued)).toBe(true);
        const changedAt = Date.now();
        await change(user.id);
        await vi.waitFor(async () => expect(await access.allows(issued)).toBe(false), {
          timeout: 10_000,
          interval: 20,
        });
        expect(Date.now() - changedAt).toBeLessThan(4_000);
        expect(await access.allows({ ...issued, accessVersion: issued.accessVersion + 1 })).toBe(true);
      }
    } finally {
      await other.close();
    }
  });

  it("closes a user's socket with 4003 when their role changes", async () => {
    const checking = await startTestApi(t.db, { realtime: { heartbeatMs: 1_000 } });
    try {
      const [user] = await t
        .db('users')
        .insert({ email: 'ash@store.example', password_hash: 'x', role: 'manager' })
        .returning(['id', 'email', 'access_version']);
      const userToken = await checking.services.tokens.issue({
        userId: user.id,
        role: 'manager',
        email: user.email,
        accessVersion: user.access_version,
      });
      const client = await connect(checking, bearer(userToken));
      await client.subscribe(['campaigns']);
      await t.db('users').where({ id: user.id }).update({ role: 'user' });
      expect(await client.closed).toEqual({ code: 4003, reason: 'credentials revoked' });
    } finally {
      await checking.close();
    }
  });

  it('refuses a flood of client messages without closing the socket', async () => {
    const client = await connect(api, bearer(token));
    for (let i = 0; i < 101; i++) client.send({ type: 'unsubscribe', topics: ['campaigns'] });
    expect((await client.next(isType('error'))).error).toBe('rate_limited');
    expect(client.messages.filter(isType('subscribed'))).toHaveLength(100);
    expect(client.ws.readyState).toBe(WebSocket.OPEN);
  });

  it('closes every socket with 1001 when the API shuts down', async () => {
    const other = await startTestApi(t.db);
    const client = await connect(other, bearer(await other.tokenFor('user')));
    await client.subscribe(['campaigns']);
    await other.close();
    expect((await client.closed).code).toBe(1001);
    expect(other.realtime.listening).toBe(false);
  });
});
