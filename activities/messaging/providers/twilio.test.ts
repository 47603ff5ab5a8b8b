import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startTwilioStub, type TwilioStub } from '../../../bench/stubs/twilio-stub.ts';
import { createRateLimiter } from './rate-limiter.ts';
import { createTwilioProvider, type TwilioSettings } from './twilio.ts';
import type { SmsMessage } from './types.ts';

const accountSid = 'AC00000000000000000000000000000001';
const authToken = 'auth-token-for-tests';

let stub: TwilioStub;

beforeAll(async () => {
  stub = await startTwilioStub({ accountSid, authToken, retryAfterSeconds: 3, hangMs: 10_000 });
});
afterAll(() => stub.close());
afterEach(() => {
  stub.messages.length = 0;
  stub.requests = 0;
});

function provider(settings: Partial<TwilioSettings> = {}) {
  return createTwilioProvider({
    accountSid,
    authToken,
    messagingServiceSid: 'MG00000000000000000000000000000001',
    baseUrl: stub.url,
    publicUrl: 'https://m.bottleshop.example/',
    ratePerSecond: 1_000,
    timeoutMs: 1_000,
    ...settings,
  });
}

let counter = 0;
const sms = (to = '+13125550123', body = 'Bottle Shop: 15% off rum. Reply STOP to opt out.'): SmsMessage => ({
  sendId: `send-${++counter}`,
  to,
  body,
});

describe('Twilio provider', () => {
  it('sends through the messaging service with our status callback and returns the message sid', async () => {
    const m = sms();
    const result = await provider().send(m);
    expect(stub.messages).toHaveLength(1);
    const sent = stub.messages[0]!;
    expect(result).toEqual({ sendId: m.sendId, ok: true, providerMessageId: sent.sid });
    expect(sent.sid).toMatch(/^SM[0-9a-f]{32}$/);
    expect(sent).toMatchObject({
      to: '+13125550123',
      body: m.body,
      messagingServiceSid: 'MG00000000000000000000000000000001',
      from: null,
      statusCallback: 'https://m.bottleshop.example/api/webhooks/twilio/status',
      numSegments: 1,
    });
  });

  it('sends from a number when no messaging service is set', async () => {
    await provider({ messagingServiceSid: undefined, fromNumber: '+13125550100' }).send(sms());
    expect(stub.messages[0]).toMatchObject({ from: '+13125550100', messagingServiceSid: null });
  });

  it.each(['3125550123', '+1 312 555 0123', '(312) 555-0123', '+0123456789'])(
    'refuses %s, which is not E.164, without calling Twilio',
    async (to) => {
      const result = await provider().send(sms(to));
      expect(result).toMatchObject({ ok: false, retryable: false, code: 'invalid_address' });
      expect(stub.requests).toBe(0);
    },
  );

  it.each([
    ['invalid_number', 'invalid_address', '21211'],
    ['not_mobile', 'invalid_address', '21614'],
    ['unsubscribed', 'unsubscribed', '21610'],
  ] as const)('treats %s as permanent (%s, Twilio %s)', async (fault, code, providerCode) => {
    stub.script(fault);
    const result = await provider().send(sms());
    expect(result).toMatchObject({ ok: false, retryable: false, code, providerCode });
    expect(stub.messages).toHaveLength(0);
  });

  it('retries after a 429 with the Retry-After Twilio gave', async () => {
    stub.script('rate_limited');
    const result = await provider().send(sms());
    expect(result).toMatchObject({
      ok: false,
      retryable: true,
      code: 'rate_limited',
      retryAfterMs: 3_000,
      providerCode: '20429',
    });
  });

  it('retries after a 5xx', async () => {
    stub.script('server_error');
    expect(await provider().send(sms())).toMatchObject({ ok: false, retryable: true, code: 'provider_error' });
  });

  it('retries after a timeout', async () => {
    stub.script('timeout');
    const started = performance.now();
    const result = await provider({ timeoutMs: 300 }).send(sms());
    expect(result).toMatchObject({ ok: false, retryable: true, code: 'timeout' });
    expect(performance.now() - started).toBeLessThan(5_000);
  });

  it('retries when nothing answers', async () => {
    const closed = await startTwilioStub({ accountSid, authToken });
    const url = closed.url;
    await closed.close();
    expect(await provider({ baseUrl: url }).send(sms())).toMatchObject({ ok: false, retryable: true, code: 'network' });
  });

  it('reports wrong credentials as a configuration failure', async () => {
    const result = await provider({ authToken: 'wrong' }).send(sms());
    expect(result).toMatchObject({ ok: false, retryable: true, code: 'configuration', providerCode: '20003' });
  });

  it('keeps to the rate per sender', async () => {
    const limited = provider({ ratePerSecond: 20, limiter: createRateLimiter({ ratePerSecond: 20, burst: 1 }) });
    const started = performance.now();
    await Promise.all(Array.from({ length: 6 }, () => limited.send(sms())));
    const elapsed = performance.now() - started;
    expect(stub.messages).toHaveLength(6);
    // Five waits of 50 ms after the first message.
    expect(elapsed).toBeGreaterThanOrEqual(240);
    const times = stub.messages.map((m) => m.receivedAt).sort((a, b) => a - b);
    expect(times.at(-1)! - times[0]!).toBeGreaterThanOrEqual(200);
  });

  it('survives random faults with a seed: every message is sent or retryable', async () => {
    const flaky = await startTwilioStub({
      accountSid,
      authToken,
      seed: 42,
      faultRates: { rate_limited: 0.2, server_error: 0.2 },
    });
    try {
      const flakyTwilio = provider({ baseUrl: flaky.url });
      const results = [];
      for (let i = 0; i < 40; i++) results.push(await flakyTwilio.send(sms()));
      const sent = results.filter((r) => r.ok).length;
      expect(flaky.messages).toHaveLength(sent);
      expect(flaky.requests).toBe(40);
      expect(sent).toBeGreaterThan(10);
      expect(sent).toBeLessThan(40);
      expect(results.every((r) => r.ok || (r.retryable && ['rate_limited', 'provider_error'].includes(r.code)))).toBe(
        true,
      );
    } finally {
      await flaky.close();
    }
  });
});
