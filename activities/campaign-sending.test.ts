import { MockActivityEnvironment } from '@temporalio/testing';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startMailgunStub, type MailgunDelivery, type MailgunStub } from '../bench/stubs/mailgun-stub.ts';
import { clickLinkKey, verifyClickToken } from '../domain/messaging/click-token.ts';
import { compileTemplate, renderMessage, templateFor, verifyUnsubscribeToken } from '../domain/messaging/index.ts';
import { mailgunEvent, mailgunEventData as eventDataSchema } from '../domain/webhooks/mailgun.ts';
import { parseConfig } from '../platform/config.ts';
import { createTestDatabase, type TestDatabase } from '../platform/testing/database.ts';
import { ALL_DAY, seedSendableCampaign } from '../platform/testing/sendable-campaign.ts';
import { testLog } from '../platform/testing/temporal.ts';
import { mailgunEventData } from '../platform/testing/webhooks.ts';
import {
  createCampaignSendingActivities,
  type MessagingDeps,
  type SendBatchInput,
  type SendCounts,
} from './campaign-sending.ts';
import { messageVariables } from './messaging/variables.ts';
import { activityDeps } from './settings.ts';
import { writeEngagementEvents } from './webhooks/store.ts';

/**
 * Campaign e-mail through Mailgun a group at a time (issue #6): one call carries the group, each
 * recipient's own values (first name, tracked links, unsubscribe links and header, send id) as
 * recipient-variables, and what Mailgun makes of them is exactly what rendering the message alone
 * gives. The ledger keeps every guarantee it has for single sends: decided per message, marked
 * `sending` before the call, each row with its own result and id, never sent twice.
 */

const apiKey = 'key-groups-test';
const domain = 'mg.groups.example';
const secret = 'test-unsubscribe-secret-long-enough-0123456789';
const offer = { key: 'percent_off_10', label: '10% off', kind: 'percent_off' as const, discountPct: 10 };

let t: TestDatabase;
let stub: MailgunStub;

beforeAll(async () => {
  t = await createTestDatabase();
  stub = await startMailgunStub({ apiKey, domain });
});
afterAll(async () => {
  await stub?.close();
  await t?.drop();
});
afterEach(() => {
  stub.calls.length = 0;
  stub.messages.length = 0;
  stub.requests = 0;
});

function messagingDeps(env: Record<string, string> = {}): MessagingDeps {
  const cfg = parseConfig({
    STORE_TIME_ZONE: 'UTC',
    SEND_HOURS: ALL_DAY,
    FREQUENCY_CAP: '100/1',
    UNSUBSCRIBE_SECRET: secret,
    MAILGUN_API_KEY: apiKey,
    MAILGUN_DOMAIN: domain,
    MAILGUN_BASE_URL: stub.url,
    ...env,
  });
  return activityDeps(cfg, t.db, testLog).messaging;
}

/** Every batch of a window (or of a retry pass), as the workflow would run them. */
async function sendAll(
  messaging: MessagingDeps,
  campaign: { campaignId: string; sendAt: Date },
  attempt = 1,
  activity = new MockActivityEnvironment(),
): Promise<SendCounts> {
  const { sendCampaignBatch } = createCampaignSendingActivities({ db: t.db, messaging });
  const total: SendCounts = { sent: 0, skipped: 0, failed: 0, retrying: 0, unknown: 0 };
  let cursor: string | null = null;
  do {
    const input: SendBatchInput = {
      campaignId: campaign.campaignId,
      day: 0,
      opensAt: campaign.sendAt.getTime(),
      attempt,
      cursor: attempt === 1 ? cursor : null,
      now: Date.now(),
    };
    const { counts, nextCursor } = (await activity.run(sendCampaignBatch, input)) as Awaited<
      ReturnType<typeof sendCampaignBatch>
    >;
    for (const k of Object.keys(total) as (keyof SendCounts)[]) total[k] += counts[k];
    cursor = nextCursor;
  } while (cursor !== null);
  return total;
}

const ledger = (campaignId: string) =>
  t
    .db('sends as s')
    .join('customers as c', 'c.id', 's.customer_id')
    .where('s.campaign_id', campaignId)
    .select('s.*', 'c.email', 'c.first_name', 'c.phone');

function recipientVariables(call: MailgunStub['calls'][number]): Record<string, Record<string, string>> {
  return JSON.parse(call.fields['recipient-variables']![0]!) as Record<string, Record<string, string>>;
}

/** The message rendered alone for this row, with the unsubscribe token's own issue time. */
async function renderedAlone(messaging: MessagingDeps, row: Record<string, string>, delivered: MailgunDelivery) {
  const token = /\/api\/unsubscribe\/([^>]+)>/.exec(delivered.headers['List-Unsubscribe']!)![1]!;
  const check = verifyUnsubscribeToken(token, secret);
  if (!check.ok) throw new Error('the delivered unsubscribe link does not verify');
  const vars = messageVariables(
    messaging,
    {
      customerId: row.customer_id!,
      channel: 'email',
      campaignId: row.campaign_id!,
      firstName: row.first_name ?? null,
      primaryCategory: null,
      sendId: row.id,
    },
    offer,
    check.issuedAt,
  );
  const { subject, html, text, headers } = renderMessage(await compileTemplate(templateFor(offer)), vars);
  return { subject, html, text, headers };
}

describe('campaign e-mail in Mailgun batches', () => {
  it('sends a group as one call, one recipient-variables entry per recipient, each exactly as rendered alone', async () => {
    const campaign = await seedSendableCampaign(t.db, { recipients: 12 });
    const messaging = messagingDeps();
    const counts = await sendAll(messaging, campaign);
    expect(counts).toEqual({ sent: 12, skipped: 0, failed: 0, retrying: 0, unknown: 0 });

    expect(stub.calls).toHaveLength(1);
    const [call] = stub.calls;
    const rows = await ledger(campaign.campaignId);
    const variables = recipientVariables(call!);
    expect(Object.keys(variables).sort()).toEqual(rows.map((r) => r.email).sort());
    expect(call!.fields['o:tag']).toEqual([`campaign-${campaign.campaignId}`]);
    expect(call!.fields['v:send_id']).toEqual(['%recipient.send_id%']);

    const key = clickLinkKey(secret);
    for (const row of rows) {
      expect(variables[row.email]!.send_id).toBe(row.id);
      const delivered = stub.messages.find((m) => m.to === row.email)!;
      expect(delivered.variables).toEqual({ send_id: row.id, campaign_id: campaign.campaignId });
      expect({
        subject: delivered.subject,
        html: delivered.html,
        text: delivered.text,
        headers: delivered.headers,
      }).toEqual(await renderedAlone(messaging, row, delivered));
      // Its own tracked shop link, which records a click against its own ledger row.
      const link = /\/r\/([A-Za-z0-9_.-]+)/.exec(delivered.text)![1]!;
      expect(verifyClickToken(link, key)).toMatchObject({ ok: true, sendId: row.id });
      expect(delivered.subject).toContain(row.first_name);
      // The ledger: sent once, with an id of its own made from the call's.
      expect(row).toMatchObject({ status: 'sent', attempts: 1, provider: 'mailgun' });
      expect(row.provider_message_id).toBe(`${call!.id.slice(1, -1)}#${row.id}`);
    }
    expect(stub.deliveriesBySendId().size).toBe(12);
  });

  it("matches Mailgun's webhooks for a batch back to each message by its send id", async () => {
    const campaign = await seedSendableCampaign(t.db, { recipients: 3 });
    await sendAll(messagingDeps(), campaign);
    expect(stub.calls).toHaveLength(1);
    const events = stub.messages.map((m) => {
      // As Mailgun reports them: the call's message id for all, each recipient's own user-variables.
      const data = { ...mailgunEventData({ event: 'delivered', recipient: m.to, messageId: m.id }) };
      data['user-variables'] = m.variables;
      return mailgunEvent(eventDataSchema.parse(data), data, {
        timestamp: String(Math.floor(Date.now() / 1000)),
        token: `token-${m.to}`,
        signature: 'verified-upstream',
      });
    });
    const outcomes = await writeEngagementEvents(t.db, events);
    expect(outcomes.map((o) => o.sendId).sort()).toEqual(stub.messages.map((m) => m.variables.send_id).sort());
    const rows = await ledger(campaign.campaignId);
    expect(rows.map((r) => r.status)).toEqual(['delivered', 'delivered', 'delivered']);
  });

  it('decides each message of a mixed group: suppressed ones skipped, texts alone, the e-mails in one call', async () => {
    const campaign = await seedSendableCampaign(t.db, { recipients: 10 });
    const actions = await t
      .db('actions as a')
      .join('customers as c', 'c.id', 'a.customer_id')
      .where('a.campaign_id', campaign.campaignId)
      .orderBy('a.id')
      .select('a.id', 'a.customer_id', 'c.email');
    // Two suppressed e-mail addresses; two customers texted only, one both e-mailed and texted.
    for (const a of actions.slice(0, 2)) {
      await t.db('suppressions').insert({ channel: 'email', address: a.email.toLowerCase(), reason: 'unsubscribe' });
    }
    for (const [i, a] of actions.slice(2, 5).entries()) {
      await t
        .db('customers')
        .where({ id: a.customer_id })
        .update({ phone: `+1312555010${i}` });
      await t.db('consents').insert({ customer_id: a.customer_id, channel: 'sms', status: 'opted_in', source: 'test' });
      await t
        .db('actions')
        .where({ id: a.id })
        .update({ channels: i < 2 ? ['sms'] : ['email', 'sms'] });
    }

    const counts = await sendAll(messagingDeps(), campaign);
    expect(counts).toEqual({ sent: 9, skipped: 2, failed: 0, retrying: 0, unknown: 0 });
    const rows = await ledger(campaign.campaignId);
    const emails = rows.filter((r) => r.channel === 'email');
    expect(emails.filter((r) => r.status === 'skipped').map((r) => r.skip_reason)).toEqual([
      'suppressed',
      'suppressed',
    ]);
    const sentEmails = emails.filter((r) => r.status === 'sent');
    expect(sentEmails).toHaveLength(6);
    expect(stub.calls).toHaveLength(1);
    expect(stub.calls[0]!.recipients.sort()).toEqual(sentEmails.map((r) => r.email).sort());
    // The texts went through the SMS provider (the sandbox here), one each.
    const texts = rows.filter((r) => r.channel === 'sms');
    expect(texts.map((r) => r.status)).toEqual(['sent', 'sent', 'sent']);
    const outbox = await t.db('outbox').whereIn(
      'send_id',
      texts.map((r) => r.id),
    );
    expect(outbox).toHaveLength(3);
  });

  it('gives each row its own result when Mailgun refuses a whole call for one address', async () => {
    const campaign = await seedSendableCampaign(t.db, { recipients: 5 });
    const [ghost] = await t.db('actions').where({ campaign_id: campaign.campaignId }).orderBy('id').limit(1);
    await t.db('customers').where({ id: ghost.customer_id }).update({ email: 'ghost@nowhere.invalid' });

    const counts = await sendAll(messagingDeps(), campaign);
    expect(counts).toEqual({ sent: 4, skipped: 0, failed: 1, retrying: 0, unknown: 0 });
    // The group call (refused with a 400 for the one address), then each message alone.
    expect(stub.requests).toBe(6);
    const rows = await ledger(campaign.campaignId);
    expect(rows.find((r) => r.customer_id === ghost.customer_id)).toMatchObject({
      status: 'failed',
      retryable: false,
      error_code: 'invalid_address',
    });
    expect(rows.filter((r) => r.status === 'sent')).toHaveLength(4);
    expect([...stub.deliveriesBySendId().values()]).toEqual([1, 1, 1, 1]);
  });

  it('fails a group for a retry when Mailgun answers 5xx, and sends it whole on the retry pass', async () => {
    const campaign = await seedSendableCampaign(t.db, { recipients: 4 });
    const messaging = messagingDeps();
    stub.script('server_error');
    expect(await sendAll(messaging, campaign)).toMatchObject({ sent: 0, retrying: 4 });
    let rows = await ledger(campaign.campaignId);
    expect(rows.map((r) => [r.status, r.retryable, r.error_code, r.attempts])).toEqual(
      Array(4).fill(['failed', true, 'provider_error', 1]),
    );
    expect(await sendAll(messaging, campaign, 2)).toMatchObject({ sent: 4, retrying: 0 });
    rows = await ledger(campaign.campaignId);
    expect(rows.map((r) => [r.status, r.attempts])).toEqual(Array(4).fill(['sent', 2]));
    expect(stub.calls).toHaveLength(1);
    expect(stub.calls[0]!.recipients).toHaveLength(4);
  });

  it('sends each message alone when its copy does more with a recipient value than print it', async () => {
    const campaign = await seedSendableCampaign(t.db, { recipients: 3 });
    await t.db('actions').where({ campaign_id: campaign.campaignId }).update({ segment_key: 'loyal' });
    await t.db('campaign_copy').insert({
      campaign_id: campaign.campaignId,
      segment_key: 'loyal',
      subject: 'HEY {{ first_name | upcase }}',
      body_text: 'A little something for you: {{ offer_label }}.',
      sms_text: '{{ offer_label }} {{ shop_url }}',
      source: 'marketer',
    });
    expect(await sendAll(messagingDeps(), campaign)).toMatchObject({ sent: 3 });
    expect(stub.calls).toHaveLength(3);
    expect(stub.calls.every((c) => c.recipients.length === 1 && !c.fields['recipient-variables'])).toBe(true);
    const rows = await ledger(campaign.campaignId);
    expect(stub.messages.map((m) => m.subject).sort()).toEqual(
      rows.map((r) => `HEY ${(r.first_name as string).toUpperCase()}`).sort(),
    );
  });

  it('splits a batch into groups of the configured size', async () => {
    const campaign = await seedSendableCampaign(t.db, { recipients: 7 });
    expect(await sendAll(messagingDeps({ MAILGUN_BATCH_SIZE: '3' }), campaign)).toMatchObject({ sent: 7 });
    expect(stub.calls.map((c) => c.recipients.length)).toEqual([3, 3, 1]);
  });
});

describe('a group interrupted', () => {
  it('stops after the provider call it is on when paused, and the next batch sends the rest once', async () => {
    const campaign = await seedSendableCampaign(t.db, { recipients: 7 });
    const messaging = messagingDeps({ MAILGUN_BATCH_SIZE: '3' });
    const activity = new MockActivityEnvironment();
    const mailgun = messaging.email;
    let calls = 0;
    const pausing: MessagingDeps = {
      ...messaging,
      email: {
        name: mailgun.name,
        batchLimit: mailgun.batchLimit,
        async send(batch) {
          // The marketer pauses while the first call is in flight.
          if (++calls === 1) activity.cancel();
          return mailgun.send(batch);
        },
      },
    };
    const { sendCampaignBatch } = createCampaignSendingActivities({ db: t.db, messaging: pausing });
    const input: SendBatchInput = {
      campaignId: campaign.campaignId,
      day: 0,
      opensAt: campaign.sendAt.getTime(),
      attempt: 1,
      cursor: null,
      now: Date.now(),
    };
    const first = (await activity.run(sendCampaignBatch, input)) as Awaited<ReturnType<typeof sendCampaignBatch>>;
    expect(first.counts).toMatchObject({ sent: 3 });
    expect(stub.calls.map((c) => c.recipients.length)).toEqual([3]);
    const rows = await ledger(campaign.campaignId);
    expect(rows.map((r) => r.status).sort()).toEqual(['sent', 'sent', 'sent']);
    expect(first.nextCursor).not.toBeNull();

    expect(await sendAll(messaging, campaign)).toMatchObject({ sent: 4 });
    expect(stub.calls.map((c) => c.recipients.length)).toEqual([3, 3, 1]);
    expect([...stub.deliveriesBySendId().values()]).toEqual(Array(7).fill(1));
  });

  it('sends nothing of a group when paused while its messages are being decided', async () => {
    const campaign = await seedSendableCampaign(t.db, { recipients: 5 });
    const messaging = messagingDeps();
    const activity = new MockActivityEnvironment();
    let beats = 0;
    activity.on('heartbeat', () => {
      if (++beats === 2) activity.cancel();
    });
    const { sendCampaignBatch } = createCampaignSendingActivities({ db: t.db, messaging });
    const first = (await activity.run(sendCampaignBatch, {
      campaignId: campaign.campaignId,
      day: 0,
      opensAt: campaign.sendAt.getTime(),
      attempt: 1,
      cursor: null,
      now: Date.now(),
    })) as Awaited<ReturnType<typeof sendCampaignBatch>>;
    expect(first.counts).toMatchObject({ sent: 0, skipped: 0 });
    expect(stub.requests).toBe(0);
    expect((await ledger(campaign.campaignId)).map((r) => r.status)).toEqual(Array(5).fill('pending'));

    expect(await sendAll(messaging, campaign)).toMatchObject({ sent: 5 });
    expect(stub.calls.map((c) => c.recipients.length)).toEqual([5]);
  });

  it('resolves a group left in `sending` by a crash against Mailgun, never sending a message twice', async () => {
    const campaign = await seedSendableCampaign(t.db, { recipients: 6 });
    const messaging = messagingDeps({ MAILGUN_BATCH_SIZE: '3' });
    const mailgun = messaging.email;
    // The worker dies after Mailgun accepted the first group, before the ledger heard of it.
    const crashing: MessagingDeps = {
      ...messaging,
      email: {
        name: mailgun.name,
        batchLimit: mailgun.batchLimit,
        async send(batch) {
          await mailgun.send(batch);
          throw new Error('worker killed');
        },
      },
    };
    await expect(sendAll(crashing, campaign)).rejects.toThrow('worker killed');
    // The rest of the batch was never reached: only the first group has rows, all ambiguous.
    let rows = await ledger(campaign.campaignId);
    expect(rows.map((r) => r.status)).toEqual(['sending', 'sending', 'sending']);
    expect(stub.messages).toHaveLength(3);

    // The retried batch finds the first group in Mailgun's logs, and sends the rest in one call.
    const counts = await sendAll(messaging, campaign);
    expect(counts).toMatchObject({ sent: 6, unknown: 0 });
    expect(stub.calls.map((c) => c.recipients.length)).toEqual([3, 3]);
    expect([...stub.deliveriesBySendId().values()]).toEqual(Array(6).fill(1));
    rows = await ledger(campaign.campaignId);
    const providerIds = new Map(
      stub.messages.map((m) => [m.variables.send_id, `${m.id.slice(1, -1)}#${m.variables.send_id}`]),
    );
    expect(rows.map((r) => [r.status, r.attempts, r.provider_message_id])).toEqual(
      rows.map((r) => ['sent', 1, providerIds.get(r.id)]),
    );
  });
});
