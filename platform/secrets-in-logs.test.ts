import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import twilio from 'twilio';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { seedDemo } from '../bench/datagen/seed.ts';
import { startMailgunStub, type MailgunStub } from '../bench/stubs/mailgun-stub.ts';
import { rateLimited, startOpenAiStub, type OpenAiStub } from '../bench/stubs/openai-stub.ts';
import { startTwilioStub, type TwilioStub } from '../bench/stubs/twilio-stub.ts';
import { createDb } from './db.ts';
import { freePort } from './processes.ts';
import { CAMPAIGN_TZ, localDate } from './testing/campaigns.ts';
import { createTestDatabase, type TestDatabase } from './testing/database.ts';
import {
  firstAdminPassword,
  launchPlatform,
  platformStarted,
  stopPlatform,
  type PlatformProcess,
} from './testing/platform-process.ts';
import { testTaskQueue } from './testing/temporal.ts';
import { mailgunEventData, signedMailgunBody } from './testing/webhooks.ts';

/**
 * Secrets never reach the logs: the real platform (platform/main.ts, ROLE=all) at LOG_LEVEL=trace,
 * every secret of its configuration set to a value of its own, the providers pointed at the
 * stubs, is driven through a store's day — sign-in, an API key, an import, a campaign planned
 * with the LLM, approved and sent by e-mail and SMS, signed and forged webhooks — and then every
 * line it wrote to stdout and stderr is searched for each secret and its usual encodings.
 */

const mark = (name: string) => `${name}-${randomBytes(12).toString('hex')}`;
const secrets = {
  AUTH_SECRET: mark('jwt-secret-zq'),
  UNSUBSCRIBE_SECRET: mark('unsubscribe-secret-zq'),
  MAILGUN_API_KEY: mark('key-mailgun-zq'),
  MAILGUN_WEBHOOK_SIGNING_KEY: mark('mailgun-signing-zq'),
  TWILIO_AUTH_TOKEN: randomBytes(16).toString('hex'),
  OPENAI_API_KEY: mark('sk-openai-zq'),
  SLACK_HOOK_PATH: mark('slack-hook-zq'),
  DATABASE_PASSWORD: mark('pg-password-zq'),
};
const TWILIO_ACCOUNT_SID = `AC${randomBytes(16).toString('hex')}`;
const MAILGUN_DOMAIN = 'mg.secrets.example';
const DB_ROLE = `lma_secrets_${randomBytes(4).toString('hex')}`;

/** A value and the ways it travels: URL-encoded, base64, and inside the providers' basic auth. */
function encodings(value: string): string[] {
  return [
    value,
    encodeURIComponent(value),
    Buffer.from(value).toString('base64'),
    Buffer.from(value).toString('base64url'),
    JSON.stringify(value).slice(1, -1),
  ];
}

describe('the logs of a whole run at trace level', () => {
  let t: TestDatabase;
  let mailgun: MailgunStub;
  let sms: TwilioStub;
  let openai: OpenAiStub;
  let slack: Server;
  let platform: PlatformProcess;
  let base: string;
  const dir = mkdtempSync(path.join(os.tmpdir(), 'lma-secrets-'));
  chmodSync(dir, 0o755);
  /** Values made while running (the admin's password, tokens, the API key), scanned for too. */
  const issued: Record<string, string> = {};

  beforeAll(async () => {
    t = await createTestDatabase();
    // Its own login role, so that the database password is distinctive too.
    await t.db.raw(`create role ${DB_ROLE} login superuser password '${secrets.DATABASE_PASSWORD}'`);
    const dbUrl = new URL(t.url);
    dbUrl.username = DB_ROLE;
    dbUrl.password = secrets.DATABASE_PASSWORD;
    await seedDemo(t.db, { seed: 13, customerCount: 60, asOf: new Date(), timeZone: CAMPAIGN_TZ });

    mailgun = await startMailgunStub({ apiKey: secrets.MAILGUN_API_KEY, domain: MAILGUN_DOMAIN });
    sms = await startTwilioStub({ accountSid: TWILIO_ACCOUNT_SID, authToken: secrets.TWILIO_AUTH_TOKEN });
    openai = await startOpenAiStub();
    // The planner meets a rate limit, then server errors (the stub's answer once its script is used up):
    // the client's error paths run with the key, and the campaign goes on with the fallback plan.
    openai.enqueue(rateLimited(0));
    slack = createServer((req, res) => {
      req.resume();
      req.on('end', () => res.end('ok'));
    });
    await new Promise<void>((resolve) => slack.listen(0, '127.0.0.1', resolve));

    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    platform = launchPlatform({
      ROLE: 'all',
      NODE_ENV: 'production',
      LOG_LEVEL: 'trace',
      PORT: String(port),
      PUBLIC_URL: base,
      DATA_DIR: dir,
      DATABASE_URL: dbUrl.toString(),
      TEMPORAL_ADDRESS: inject('temporalAddress'),
      TEMPORAL_NAMESPACE: inject('temporalNamespace'),
      TEMPORAL_TASK_QUEUE_PREFIX: testTaskQueue('secrets'),
      WORKER_METRICS_ADDRESS: 'off',
      ADMIN_EMAIL: 'owner@store.example',
      AUTH_SECRET: secrets.AUTH_SECRET,
      UNSUBSCRIBE_SECRET: secrets.UNSUBSCRIBE_SECRET,
      MAILGUN_API_KEY: secrets.MAILGUN_API_KEY,
      MAILGUN_DOMAIN,
      MAILGUN_BASE_URL: mailgun.url,
      MAILGUN_WEBHOOK_SIGNING_KEY: secrets.MAILGUN_WEBHOOK_SIGNING_KEY,
      MAIL_FROM: 'Bottle Shop <shop@mg.secrets.example>',
      TWILIO_ACCOUNT_SID,
      TWILIO_AUTH_TOKEN: secrets.TWILIO_AUTH_TOKEN,
      TWILIO_FROM_NUMBER: '+15555550100',
      TWILIO_BASE_URL: sms.url,
      SMS_RATE_PER_SECOND: '100',
      OPENAI_API_KEY: secrets.OPENAI_API_KEY,
      OPENAI_BASE_URL: openai.baseURL,
      ALERT_SLACK_WEBHOOK_URL: `http://127.0.0.1:${(slack.address() as AddressInfo).port}/services/${secrets.SLACK_HOOK_PATH}`,
      STORE_TIME_ZONE: CAMPAIGN_TZ,
      STORE_POSTAL_ADDRESS: '1 Main St, Springfield',
      CAMPAIGN_DAY_LENGTH: '2 seconds',
      SEND_HOURS: '00:00-23:59',
      SEND_RETRY_DELAY: '1 second',
      DELIVERY_WAIT: '1 second',
      ENGAGEMENT_WINDOW: '1 second',
    });
    await platformStarted(platform);
  }, 180_000);

  afterAll(async () => {
    if (platform) await stopPlatform(platform);
    await Promise.all([mailgun?.close(), sms?.close(), openai?.close()]);
    await new Promise((resolve) => slack?.close(resolve));
    await t?.drop();
    const admin = createDb(inject('adminDatabaseUrl'), 1);
    await admin.raw(`drop role if exists ${DB_ROLE}`).finally(() => admin.destroy());
    rmSync(dir, { recursive: true, force: true });
  }, 60_000);

  async function call(method: string, url: string, bearer: string, body?: unknown, type = 'application/json') {
    const res = await fetch(`${base}${url}`, {
      method,
      headers: { authorization: `Bearer ${bearer}`, ...(body === undefined ? {} : { 'content-type': type }) },
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    });
    const json = (await res.json().catch(() => undefined)) as Record<string, any>;
    if (res.status >= 300) throw new Error(`${method} ${url}: ${res.status} ${JSON.stringify(json)}`);
    return json;
  }

  async function until<T>(what: string, probe: () => Promise<T | undefined>, ms = 90_000): Promise<T> {
    const deadline = Date.now() + ms;
    for (;;) {
      const value = await probe();
      if (value !== undefined) return value;
      if (platform.child.exitCode !== null) throw new Error(`the platform exited before ${what}`);
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 300));
    }
  }

  it('holds no configured or issued secret, in any usual encoding, in a run that used them all', async () => {
    issued.adminPassword = firstAdminPassword(platform)!;
    expect(issued.adminPassword).toBeDefined();

    // Sign-in, a failed one, a refresh; an API key made and used.
    const refused = await fetch(`${base}/api/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: 'someone@store.example', password: issued.adminPassword }),
    });
    expect(refused.status).toBe(401);
    const login = await fetch(`${base}/api/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: 'owner@store.example', password: issued.adminPassword }),
    });
    expect(login.status).toBe(200);
    const first = (await login.json()) as { accessToken: string; refreshToken: string };
    const refreshed = await fetch(`${base}/api/auth/refresh`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ refreshToken: first.refreshToken }),
    });
    expect(refreshed.status).toBe(200);
    const session = (await refreshed.json()) as { accessToken: string; refreshToken: string };
    Object.assign(issued, {
      firstAccessToken: first.accessToken,
      firstRefreshToken: first.refreshToken,
      accessToken: session.accessToken,
      refreshToken: session.refreshToken,
    });
    const token = session.accessToken;
    const created = await call('POST', '/api/api-keys', token, {
      name: 'till',
      role: 'manager',
      scopes: ['import', 'read', 'campaigns'],
    });
    issued.apiKey = created.key as string;
    expect((await call('GET', '/api/customers?limit=5', issued.apiKey)).items.length).toBeGreaterThan(0);

    // An import through the API key: new customers, and the scoring run it starts.
    const imported = await call(
      'POST',
      '/api/imports/customers?filename=crm.csv',
      issued.apiKey,
      [
        'customer_id,email,phone,first_name,last_name,date_of_birth,email_consent,sms_consent',
        'SEC-1,ria@example.com,(312) 555-0141,Ria,Lopez,1984-03-02,yes,yes',
        'SEC-2,sam@example.com,(312) 555-0142,Sam,Okafor,1979-11-20,yes,no',
      ].join('\n'),
      'text/csv',
    );
    expect(imported.rowsAccepted).toBe(2);
    await until('the scoring run', async () => {
      const runs = await call('GET', '/api/scoring/runs?limit=1', token);
      return runs.items[0]?.status === 'completed' ? true : undefined;
    });

    // A campaign planned (LLM stub), approved, started and sent through both provider stubs.
    const campaign = await call('POST', '/api/campaigns', token, {
      name: 'Secrets stay secret',
      type: 'holiday',
      goal: 'Holiday gift sets',
      channels: ['email', 'sms'],
      startsOn: localDate(0),
      windowDays: 2,
      audienceSize: 20,
      holdoutShare: 0,
    });
    const id = campaign.id as string;
    await call('POST', `/api/campaigns/${id}/generate`, token);
    await until('the plan', async () => {
      const p = await call('GET', `/api/campaigns/${id}/progress`, token);
      return p.status === 'awaiting_approval' ? true : undefined;
    });
    await call('POST', `/api/campaigns/${id}/approve`, token);
    await call('POST', `/api/campaigns/${id}/start`, token);
    const done = await until('the campaign to end', async () => {
      const p = await call('GET', `/api/campaigns/${id}/progress`, token);
      return ['completed', 'failed'].includes(p.status) ? p : undefined;
    });
    expect(done.status).toBe('completed');
    expect(openai.requests.length).toBeGreaterThan(0);
    expect(mailgun.messages.length).toBeGreaterThan(0);
    expect(sms.messages.length).toBeGreaterThan(0);

    // Webhooks: signed ones for what was sent, and forged ones.
    const email = mailgun.messages[0]!;
    const mailgunEvent = (signingKey: string) =>
      signedMailgunBody(
        mailgunEventData({
          event: 'delivered',
          sendId: email.variables.send_id,
          messageId: email.id.replace(/^<|>$/g, ''),
          recipient: email.to,
        }),
        { signingKey },
      );
    const postMailgun = (body: unknown) =>
      fetch(`${base}/api/webhooks/mailgun`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
    expect((await postMailgun(mailgunEvent(secrets.MAILGUN_WEBHOOK_SIGNING_KEY))).status).toBe(200);
    expect((await postMailgun(mailgunEvent('a-forger-s-guess'))).status).toBeGreaterThanOrEqual(400);
    const text = sms.messages[0]!;
    const params = { MessageSid: text.sid, MessageStatus: 'delivered', AccountSid: TWILIO_ACCOUNT_SID, To: text.to };
    const postTwilio = (signature: string) =>
      fetch(`${base}/api/webhooks/twilio/status`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-twilio-signature': signature },
        body: new URLSearchParams(params).toString(),
      });
    const url = `${base}/api/webhooks/twilio/status`;
    expect((await postTwilio(twilio.getExpectedTwilioSignature(secrets.TWILIO_AUTH_TOKEN, url, params))).status).toBe(
      200,
    );
    expect((await postTwilio(twilio.getExpectedTwilioSignature('a-forger-s-guess', url, params))).status).toBe(401);

    expect(await stopPlatform(platform)).toBe(0);

    // The one place the admin's password may appear: the first-start banner on the terminal.
    const banner = `password: ${issued.adminPassword}`;
    const stdout = platform.stdout();
    expect(stdout.split(banner)).toHaveLength(2);
    const written = [...stdout.replace(banner, 'password: [banner]').split('\n'), ...platform.stderr().split('\n')];
    // At trace level the Temporal SDK logs activity inputs and results as base64 payloads: read them too.
    const payloads = written.flatMap((l) =>
      [...l.matchAll(/"data":"([A-Za-z0-9+/]{4,}={0,2})"/g)].map((m) => Buffer.from(m[1]!, 'base64').toString('utf8')),
    );
    expect(payloads.some((p) => p.includes(id))).toBe(true);
    const lines = [...written, ...payloads];

    // Not vacuous: a long log with trace lines, requests, the worker's activities and the providers.
    const json = written.filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(json.length).toBeGreaterThan(200);
    expect(json.filter((l) => l.level === 10).length).toBeGreaterThan(20);
    expect(lines.some((l) => l.includes('/api/webhooks/twilio/status'))).toBe(true);
    expect(lines.some((l) => l.includes('/api/auth/login'))).toBe(true);

    const basicAuth = {
      mailgun: Buffer.from(`api:${secrets.MAILGUN_API_KEY}`).toString('base64'),
      twilio: Buffer.from(`${TWILIO_ACCOUNT_SID}:${secrets.TWILIO_AUTH_TOKEN}`).toString('base64'),
    };
    const wanted = { ...secrets, ...issued };
    const leaks: string[] = [];
    for (const [name, value] of Object.entries(wanted)) {
      for (const encoded of encodings(value)) {
        const line = lines.find((l) => l.includes(encoded));
        if (line) leaks.push(`${name} (${encoded === value ? 'as is' : encoded}): ${line.slice(0, 400)}`);
      }
    }
    for (const [name, value] of Object.entries(basicAuth)) {
      const line = lines.find((l) => l.includes(value));
      if (line) leaks.push(`${name} basic auth: ${line.slice(0, 400)}`);
    }
    expect(leaks).toEqual([]);
  }, 240_000);
});
