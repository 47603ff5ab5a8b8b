import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApi, type TestApi } from '../../platform/testing/api.ts';
import { parseConfig } from '../../platform/config.ts';
import { createTestDatabase, type TestDatabase } from '../../platform/testing/database.ts';
import { temporalUiOf } from './system.ts';

describe('GET /api/system', () => {
  let t: TestDatabase;
  const apis: TestApi[] = [];

  beforeAll(async () => {
    t = await createTestDatabase();
  });
  afterAll(async () => {
    for (const api of apis) await api.close();
    await t.drop();
  });

  async function system(env: NodeJS.ProcessEnv) {
    const api = await startTestApi(t.db, { env });
    apis.push(api);
    const res = await api.request('GET', '/api/system', { token: await api.tokenFor('user') });
    expect(res.status).toBe(200);
    return res.json();
  }

  it('says the deterministic planner is in use, and why, when no OpenAI key is configured', async () => {
    expect(await system({ STORE_NAME: "Bob's Bottles" })).toEqual({
      planner: { planner: 'deterministic', reason: 'no OPENAI_API_KEY' },
      providers: {
        email: { provider: 'sandbox', from: '"Bob\'s Bottles" <marketing@sandbox.localhost>' },
        sms: { provider: 'sandbox' },
      },
    });
  });

  it('names the model when the LLM planner is configured, and never the key', async () => {
    const body = await system({
      OPENAI_API_KEY: 'sk-secret-never-shown',
      OPENAI_MODEL: 'gpt-4.1-mini',
      MAILGUN_API_KEY: 'key-secret-never-shown',
      MAILGUN_DOMAIN: 'mg.bobsbottles.example',
      MAIL_FROM: 'Bob <offers@bobsbottles.example>',
    });
    expect(body).toEqual({
      planner: { planner: 'llm', model: 'gpt-4.1-mini' },
      providers: {
        email: { provider: 'mailgun', domain: 'mg.bobsbottles.example', from: 'Bob <offers@bobsbottles.example>' },
        sms: { provider: 'sandbox' },
      },
    });
    expect(JSON.stringify(body)).not.toMatch(/secret/);
  });
});

describe('the Temporal Web UI link', () => {
  it('is the configured UI, the embedded dev server UI, or unknown for an external cluster', () => {
    const cfg = (env: NodeJS.ProcessEnv) => parseConfig({ AUTH_SECRET: 'x'.repeat(32), ...env });
    expect(
      temporalUiOf(cfg({ TEMPORAL_UI_URL: 'https://temporal.store.example/', TEMPORAL_NAMESPACE: 'shop' })),
    ).toEqual({
      url: 'https://temporal.store.example',
      namespace: 'shop',
    });
    expect(temporalUiOf(cfg({ TEMPORAL_UI_PORT: '8999' }))).toEqual({
      url: 'http://localhost:8999',
      namespace: 'liquor-marketing',
    });
    expect(temporalUiOf(cfg({ TEMPORAL_ADDRESS: 'temporal:7233' })).url).toBeNull();
  });
});
