import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApi, type TestApi } from '../../platform/testing/api.ts';
import { createTestDatabase, type TestDatabase } from '../../platform/testing/database.ts';

describe('GET /api/settings/compliance', () => {
  let t: TestDatabase;
  let api: TestApi;

  beforeAll(async () => {
    t = await createTestDatabase();
    api = await startTestApi(t.db, {
      env: {
        MINIMUM_AGE: '{"*":21,"CA":19}',
        SEND_HOURS: '09:00-20:00',
        FREQUENCY_CAP: '2/7',
        STORE_POSTAL_ADDRESS: '1 Main St, Springfield',
      },
    });
  });
  afterAll(async () => {
    await api.close();
    await t.drop();
  });

  it('shows the rules in force and the variable that sets each', async () => {
    const res = await api.request('GET', '/api/settings/compliance', { token: await api.tokenFor('user') });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({
      source: 'environment',
      minimumAge: { value: { '*': 21, CA: 19 }, variable: 'MINIMUM_AGE' },
      sendHours: { value: { start: '09:00', end: '20:00' }, variable: 'SEND_HOURS' },
      frequencyCap: { value: { max: 2, days: 7 }, variable: 'FREQUENCY_CAP' },
      sendingPaused: { value: false },
      postalAddress: { value: '1 Main St, Springfield', variable: 'STORE_POSTAL_ADDRESS' },
      footer: { value: expect.stringContaining('responsibly'), variable: 'RESPONSIBLE_DRINKING_LINE' },
    });
  });

  it('rejects query parameters it does not take', async () => {
    const res = await api.request('GET', '/api/settings/compliance?x=1', { token: await api.tokenFor('user') });
    expect(res.status).toBe(400);
    expect(res.headers.get('content-type')).toMatch(/problem\+json/);
  });
});
