import { randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startMailgunStub, type MailgunStub } from '../bench/stubs/mailgun-stub.ts';
import { parseConfig } from '../platform/config.ts';
import { createTestDatabase, type TestDatabase } from '../platform/testing/database.ts';
import { seedSendableCampaign } from '../platform/testing/sendable-campaign.ts';
import { testLog } from '../platform/testing/temporal.ts';
import { createAdminAlerts } from './alerts.ts';
import { createCampaignRecordActivities } from './campaign-records.ts';
import { createProviders } from './messaging/providers/index.ts';

/** A Slack incoming webhook stand-in: records each post, and answers 500 while told to. */
async function startSlackStub() {
  const posts: { text: string }[] = [];
  let failing = 0;
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      if (failing > 0) {
        failing--;
        res.writeHead(500).end('internal_error');
        return;
      }
      posts.push(JSON.parse(body) as { text: string });
      res.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/services/T000/B000/xyz`,
    posts,
    failNext: (n: number) => void (failing = n),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

describe('admin alerts for failed sends', () => {
  let t: TestDatabase;
  let mailgun: MailgunStub;
  let slack: Awaited<ReturnType<typeof startSlackStub>>;

  beforeAll(async () => {
    t = await createTestDatabase();
    mailgun = await startMailgunStub({ apiKey: 'key-alerts', domain: 'mg.alerts.example' });
    slack = await startSlackStub();
  });
  afterAll(async () => {
    await slack.close();
    await mailgun.close();
    await t.drop();
  });

  async function campaignWithFailures(n: number): Promise<string> {
    const { campaignId } = await seedSendableCampaign(t.db, { recipients: n, name: 'Bourbon week' });
    const actions = await t.db('actions').where({ campaign_id: campaignId });
    await t.db('sends').insert(
      actions.map((a) => ({
        id: randomUUID(),
        campaign_id: campaignId,
        action_id: a.id,
        customer_id: a.customer_id,
        channel: 'email',
        day: 0,
        status: 'failed',
        retryable: true,
        attempts: 3,
        last_error: '503 Service Unavailable',
      })),
    );
    return campaignId;
  }

  const cfg = parseConfig({
    MAILGUN_API_KEY: 'key-alerts',
    MAILGUN_DOMAIN: 'mg.alerts.example',
    MAIL_FROM: 'alerts@mg.alerts.example',
    UNSUBSCRIBE_SECRET: 'x'.repeat(40),
  });

  it('posts to Slack and e-mails the admins once, with the notification record', async () => {
    const email = createProviders({ ...cfg, MAILGUN_BASE_URL: mailgun.url }, { db: t.db }).email;
    const alerts = createAdminAlerts({
      slackWebhookUrl: slack.url,
      emailTo: ['owner@store.example', 'ops@store.example'],
      email,
      db: t.db,
      log: testLog,
    });
    const records = createCampaignRecordActivities({ db: t.db, alerts });
    const campaignId = await campaignWithFailures(3);

    expect(await records.failExhaustedSends(campaignId, 0, 3)).toBe(3);
    expect(slack.posts).toHaveLength(1);
    expect(slack.posts[0]!.text).toContain('3 messages of "Bourbon week" failed on day 1');
    const mails = mailgun.messages.filter((m) => m.subject.includes('Bourbon week'));
    expect(mails.map((m) => m.to).sort()).toEqual(['ops@store.example', 'owner@store.example']);
    const [notice] = await t.db('notifications').where({ campaign_id: campaignId });
    expect(notice.delivered_at).not.toBeNull();

    // The activity again (a retry): nothing new failed, nothing delivered twice.
    expect(await records.failExhaustedSends(campaignId, 0, 3)).toBe(0);
    expect(slack.posts).toHaveLength(1);
  });

  it('keeps an alert Slack refused pending, and the retried activity delivers it', async () => {
    const alerts = createAdminAlerts({ slackWebhookUrl: slack.url, emailTo: [], db: t.db, log: testLog });
    const records = createCampaignRecordActivities({ db: t.db, alerts });
    const campaignId = await campaignWithFailures(2);
    const before = slack.posts.length;

    slack.failNext(1);
    await expect(records.failExhaustedSends(campaignId, 0, 3)).rejects.toThrow(/Slack answered 500/);
    const [pending] = await t.db('notifications').where({ campaign_id: campaignId });
    expect(pending.delivered_at).toBeNull();
    // The sends are failed for good already; the retry only delivers the alert.
    expect(await records.failExhaustedSends(campaignId, 0, 3)).toBe(0);
    expect(slack.posts.slice(before).map((p) => p.text)).toEqual([expect.stringContaining('2 messages')]);
  });

  it('is off unless Slack or e-mail recipients with a live provider are configured', () => {
    expect(createAdminAlerts({ emailTo: [], db: t.db, log: testLog })).toBeUndefined();
    expect(createAdminAlerts({ emailTo: ['ops@store.example'], db: t.db, log: testLog })).toBeUndefined();
    expect(() => parseConfig({ ALERT_EMAIL_TO: 'ops@store.example, not-an-address' })).toThrow(/ALERT_EMAIL_TO/);
  });
});
