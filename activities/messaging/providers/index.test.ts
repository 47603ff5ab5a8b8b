import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startMailgunStub, type MailgunStub } from '../../../bench/stubs/mailgun-stub.ts';
import { startTwilioStub, type TwilioStub } from '../../../bench/stubs/twilio-stub.ts';
import { parseConfig } from '../../../platform/config.ts';
import { createTestDatabase, type TestDatabase } from '../../../platform/testing/database.ts';
import { createProviders, ProviderConfigError } from './index.ts';

let t: TestDatabase;
let mailgun: MailgunStub;
let twilio: TwilioStub;

const accountSid = 'AC00000000000000000000000000000002';

beforeAll(async () => {
  t = await createTestDatabase();
  mailgun = await startMailgunStub({ apiKey: 'key-live', domain: 'mg.example.com' });
  twilio = await startTwilioStub({ accountSid, authToken: 'token' });
});
afterAll(async () => {
  await mailgun.close();
  await twilio.close();
  await t.drop();
});

const config = (env: Record<string, string> = {}) => parseConfig({ STORE_NAME: 'Bottle Shop', ...env });

describe('createProviders', () => {
  it('uses the sandbox for both channels when nothing is configured', async () => {
    const providers = createProviders(config(), { db: t.db });
    expect(providers.summary).toEqual({
      email: { provider: 'sandbox', from: '"Bottle Shop" <marketing@sandbox.localhost>' },
      sms: { provider: 'sandbox' },
    });
    expect(providers.email.name).toBe('sandbox');
    expect(providers.sms.name).toBe('sandbox');
    const [result] = await providers.email.send([
      { sendId: 'preview', to: 'ada@example.com', subject: 's', html: 'h', text: 't', headers: {} },
    ]);
    const row = await t
      .db('outbox')
      .where({ provider_message_id: result!.ok && result!.providerMessageId })
      .first();
    expect(row).toMatchObject({ from_address: '"Bottle Shop" <marketing@sandbox.localhost>' });
  });

  it('uses Mailgun and Twilio when their credentials are set, and says so', async () => {
    const providers = createProviders(
      config({
        MAILGUN_API_KEY: 'key-live',
        MAILGUN_DOMAIN: 'mg.example.com',
        MAILGUN_BASE_URL: mailgun.url,
        TWILIO_ACCOUNT_SID: accountSid,
        TWILIO_AUTH_TOKEN: 'token',
        TWILIO_FROM_NUMBER: '+13125550100',
        TWILIO_BASE_URL: twilio.url,
        PUBLIC_URL: 'https://m.example.com',
      }),
      { db: t.db },
    );
    expect(providers.summary).toEqual({
      email: { provider: 'mailgun', domain: 'mg.example.com', from: '"Bottle Shop" <marketing@mg.example.com>' },
      sms: { provider: 'twilio', sender: '+13125550100' },
    });
    expect(providers.sandbox).toBeUndefined();
    const [email] = await providers.email.send([
      { sendId: 's1', to: 'ada@example.com', subject: 's', html: '<p>h</p>', text: 't', headers: {} },
    ]);
    expect(email).toMatchObject({ ok: true });
    expect(mailgun.messages[0]).toMatchObject({
      from: '"Bottle Shop" <marketing@mg.example.com>',
      to: 'ada@example.com',
    });
    expect(await providers.sms.send({ sendId: 's2', to: '+13125550123', body: 'hi' })).toMatchObject({ ok: true });
    expect(twilio.messages[0]).toMatchObject({
      from: '+13125550100',
      statusCallback: 'https://m.example.com/api/webhooks/twilio/status',
    });
  });

  it('mixes a real provider for one channel with the sandbox for the other', () => {
    const providers = createProviders(
      config({ MAILGUN_API_KEY: 'k', MAILGUN_DOMAIN: 'mg.example.com', MAIL_FROM: 'Shop <s@mg.example.com>' }),
      {
        db: t.db,
      },
    );
    expect(providers.summary).toEqual({
      email: { provider: 'mailgun', domain: 'mg.example.com', from: 'Shop <s@mg.example.com>' },
      sms: { provider: 'sandbox' },
    });
    expect(providers.sandbox).toBeDefined();
  });

  it.each([
    [{ MAILGUN_API_KEY: 'k' }, /Mailgun is partly configured: set MAILGUN_DOMAIN/],
    [{ TWILIO_ACCOUNT_SID: accountSid, TWILIO_AUTH_TOKEN: 't' }, /TWILIO_MESSAGING_SERVICE_SID or TWILIO_FROM_NUMBER/],
    [{ TWILIO_FROM_NUMBER: '+13125550100' }, /TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN/],
  ])('refuses a half-configured provider rather than quietly using the sandbox: %o', (env, message) => {
    expect(() => createProviders(config(env), { db: t.db })).toThrow(ProviderConfigError);
    expect(() => createProviders(config(env), { db: t.db })).toThrow(message);
  });
});
