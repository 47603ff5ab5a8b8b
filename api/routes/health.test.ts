import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectTemporalClient, isTemporalReachable, type TemporalClient } from '../../temporal/client.ts';
import { createDb } from '../../platform/db.ts';
import { startTestApi, type TestApi } from '../../platform/testing/api.ts';
import { createTestDatabase, type TestDatabase } from '../../platform/testing/database.ts';
import { temporalTestTarget } from '../../platform/testing/temporal.ts';

describe('health checks', () => {
  let t: TestDatabase;
  let temporal: TemporalClient;
  let api: TestApi;

  beforeAll(async () => {
    t = await createTestDatabase();
    const target = temporalTestTarget();
    temporal = await connectTemporalClient(target.address, target.namespace);
    api = await startTestApi(t.db, {
      temporalReady: () => isTemporalReachable(temporal.connection, target.namespace),
    });
  });
  afterAll(async () => {
    await api.close();
    await temporal.close();
    await t.drop();
  });

  it('answers /healthz while the process is alive', async () => {
    const res = await fetch(`${api.url}/healthz`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: 'ok' });
  });

  it('answers /readyz with 200 when PostgreSQL and Temporal are reachable', async () => {
    const res = await fetch(`${api.url}/readyz`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: 'ready', checks: { postgres: 'up', temporal: 'up' } });
  });

  it('answers /readyz with 503 and names the dependency that is down', async () => {
    const deadDb = createDb('postgres://nobody:wrong@127.0.0.1:1/nothing', 1);
    const unreachable = await startTestApi(deadDb, {
      temporalReady: () => isTemporalReachable(temporal.connection, 'no-such-namespace'),
    });
    try {
      const res = await fetch(`${unreachable.url}/readyz`);
      expect(res.status).toBe(503);
      expect(await res.json()).toEqual({ status: 'unavailable', checks: { postgres: 'down', temporal: 'down' } });
    } finally {
      await unreachable.close();
      await deadDb.destroy();
    }
  });

  it('answers unknown API routes with a problem+json 404 carrying the request id', async () => {
    const res = await fetch(`${api.url}/api/no-such-thing`, { headers: { 'x-request-id': 'req-123' } });
    expect(res.status).toBe(404);
    expect(res.headers.get('content-type')).toMatch(/application\/problem\+json/);
    expect(await res.json()).toMatchObject({ status: 404, title: 'Not Found', requestId: 'req-123' });
  });
});
