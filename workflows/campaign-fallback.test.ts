import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sendId } from '../activities/campaign-sending.ts';
import {
  createProviders,
  type EmailProvider,
  type Providers,
  type SendResult,
} from '../activities/messaging/providers/index.ts';
import { campaignTimings } from '../activities/settings.ts';
import { writeEngagementEvents } from '../activities/webhooks/store.ts';
import { engagementEvent } from '../domain/webhooks/events.ts';
import { createTestDatabase, type TestDatabase } from '../platform/testing/database.ts';
import {
  createTestCampaign,
  runToCompletion,
  startCampaignTestEnv,
  startCampaignWorkflow,
  waitForStatus,
  type CampaignTestEnv,
} from '../platform/testing/campaigns.ts';
import { approveUpdate, editActionsUpdate, generateUpdate, startUpdate } from './campaign-messages.ts';

/**
 * A campaign day's end (DAY_DELIVERY_WAITS): the workflow waits for the day's delivery
 * outcomes — webhooks write them to Postgres, the workflow reads them aggregated — then texts
 * instead of the e-mails that could not reach their customer, through the same ledger and
 * compliance check, and records the day's results.
 */

/** E-mails refused for good by the provider. */
const refused = new Set<string>();
let emailCalls = new Map<string, number>();

function refusing(email: EmailProvider): EmailProvider {
  return {
    name: email.name,
    async send(batch) {
      for (const m of batch) emailCalls.set(m.sendId, (emailCalls.get(m.sendId) ?? 0) + 1);
      const through = batch.filter((m) => !refused.has(m.sendId));
      const results = new Map<string, SendResult>(
        (through.length ? await email.send(through) : []).map((r) => [r.sendId, r]),
      );
      return batch.map(
        (m) =>
          results.get(m.sendId) ?? {
            sendId: m.sendId,
            ok: false,
            retryable: false,
            code: 'rejected',
            message: 'mailbox does not exist',
          },
      );
    },
  };
}

describe('campaignWorkflow delivery waits and SMS fallback (time-skipping)', () => {
  let t: TestDatabase;
  let c: CampaignTestEnv;

  beforeAll(async () => {
    t = await createTestDatabase();
    c = await startCampaignTestEnv(t.db, {
      name: 'campaign-fallback',
      providers: (cfg, db) => {
        const providers: Providers = createProviders(cfg, { db });
        return { ...providers, email: refusing(providers.email) };
      },
    });
  });
  afterAll(async () => {
    await c?.teardown();
    await t?.drop();
  });

  /** Customers of the plan reachable on both channels, whose actions open at the same instant. */
  async function reachableOnBoth(campaignId: string) {
    const { rows } = await t.db.raw(
      `select a.id, a.customer_id, a.window_start
       from actions a join customers c on c.id = a.customer_id
       where a.campaign_id = ? and a.day = 0 and c.email is not null and c.phone is not null
         and (select status from consents k where k.customer_id = c.id and k.channel = 'email'
              order by recorded_at desc limit 1) = 'opted_in'
         and (select status from consents k where k.customer_id = c.id and k.channel = 'sms'
              order by recorded_at desc limit 1) = 'opted_in'
       order by a.id`,
      [campaignId],
    );
    const byWindow = new Map<string, { id: string; customer_id: string }[]>();
    for (const r of rows) byWindow.set(r.window_start, [...(byWindow.get(r.window_start) ?? []), r]);
    return [...byWindow.values()].sort((a, b) => b.length - a.length)[0] ?? [];
  }

  it('waits for delivery evidence, texts instead of unreachable, refused and bounced e-mails once, and records the day', async () => {
    const campaignId = await createTestCampaign(c, { channels: ['email', 'sms'], windowDays: 1, audienceSize: 200 });
    const timings = { ...campaignTimings(c.cfg), smsFallback: true };
    const handle = await startCampaignWorkflow(c, campaignId, { timings });
    await handle.executeUpdate(generateUpdate);
    await waitForStatus(handle, 'awaiting_approval');

    // Five customers in one window, e-mail only (the plan holds no text for them); the rest removed.
    const chosen = (await reachableOnBoth(campaignId)).slice(0, 5);
    expect(chosen).toHaveLength(5);
    const keep = new Set(chosen.map((a) => a.id));
    const others = await t
      .db('actions')
      .where({ campaign_id: campaignId })
      .whereNotIn('id', [...keep])
      .pluck('id');
    await handle.executeUpdate(editActionsUpdate, {
      args: [
        [
          ...chosen.map((a) => ({ op: 'change' as const, actionId: a.id, channels: ['email' as const] })),
          ...others.map((id: string) => ({ op: 'remove' as const, actionId: id })),
        ],
      ],
    });
    await handle.executeUpdate(approveUpdate, { args: [{ approvedBy: null }] });
    const [optedOut, refusedOne, bounced, delivered, planned] = chosen.map((a) => a.customer_id) as [
      string,
      string,
      string,
      string,
      string,
    ];
    const email = (customer: string) => sendId(campaignId, customer, 'email', 0);
    const sms = (customer: string) => sendId(campaignId, customer, 'sms', 0);
    // After approval: the opt-out is judged at send time, like every consent.
    await t.db('consents').insert({ customer_id: optedOut, channel: 'email', status: 'opted_out', source: 'test' });
    refused.add(email(refusedOne));
    emailCalls = new Map();

    await handle.executeUpdate(startUpdate);
    // Sleep to just after the window: the e-mails go out, and the workflow waits for evidence.
    const [{ send_at: opensAt }] = await t.db('actions').where({ campaign_id: campaignId }).limit(1);
    await c.env.sleep(new Date(opensAt).getTime() - (await c.env.currentTimeMs()) + 60_000);
    let emails: { id: string; status: string }[] = [];
    for (let i = 0; i < 100; i++) {
      emails = await t.db('sends').where({ campaign_id: campaignId, channel: 'email' }).select('id', 'status');
      if (emails.length === 5 && emails.every((s) => s.status !== 'pending' && s.status !== 'sending')) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(Object.fromEntries(emails.map((s) => [s.id, s.status]))).toEqual({
      [email(optedOut)]: 'skipped',
      [email(refusedOne)]: 'failed',
      [email(bounced)]: 'sent',
      [email(delivered)]: 'sent',
      [email(planned)]: 'sent',
    });
    expect(await t.db('sends').where({ campaign_id: campaignId, channel: 'sms' })).toEqual([]);

    // Webhooks report the outcomes: two delivered, one bounced (the sandbox's simulated events are not ingested here).
    const event = (customer: string, type: 'delivered' | 'bounced', n: number) =>
      engagementEvent({
        source: 'mailgun',
        eventKey: `${campaignId}-${n}`,
        type,
        channel: 'email',
        occurredAt: new Date(),
        sendId: email(customer),
        messageProvider: 'mailgun',
        payload: { event: type },
      });
    await writeEngagementEvents(t.db, [
      event(delivered, 'delivered', 1),
      event(planned, 'delivered', 2),
      event(bounced, 'bounced', 3),
    ]);

    const result = await runToCompletion(c, handle);
    expect(result.status).toBe('completed');

    const sends = await t.db('sends').where({ campaign_id: campaignId }).orderBy('id');
    const texts = sends.filter((s) => s.channel === 'sms');
    expect(Object.fromEntries(texts.map((s) => [s.id, [s.fallback_of, s.fallback_reason]]))).toEqual({
      [sms(optedOut)]: [email(optedOut), 'no_email_consent'],
      [sms(refusedOne)]: [email(refusedOne), 'email_failed'],
      [sms(bounced)]: [email(bounced), 'email_bounced'],
    });
    // The texts went out once each, through the sandbox, like any planned message.
    const outbox = await t.db('outbox').whereIn(
      'send_id',
      texts.map((s) => s.id),
    );
    expect(outbox.map((o) => o.send_id).sort()).toEqual(texts.map((s) => s.id).sort());
    expect(texts.every((s) => s.attempts === 1 && ['sent', 'unconfirmed'].includes(s.status))).toBe(true);
    // The refused e-mail was not retried; the delivered ones got no text.
    expect(emailCalls.get(email(refusedOne))).toBe(1);
    expect(sends.find((s) => s.id === email(delivered))).toMatchObject({ status: 'delivered' });
    // E-mail links go through our click redirect, signed for their ledger row; texts keep theirs short.
    const [mail] = await t.db('outbox').where({ send_id: email(delivered) });
    expect(mail.body_html).toMatch(/\/r\/c1\.[0-9a-f-]{36}\./);
    expect(mail.body_html).toContain(`/r/c1.${email(delivered)}.`);
    expect(outbox.every((o) => !o.body_text.includes('/r/'))).toBe(true);

    const campaign = await t.db('campaigns').where({ id: campaignId }).first('day_results', 'results');
    expect(campaign.day_results['0']).toMatchObject({ delivered: 2, sms_fallbacks: 3, skipped: 1, failed: 2 });
    expect(campaign.results).toMatchObject({ sms_fallbacks: 3 });

    // The wait ended at the first look after the webhooks came in, not after DELIVERY_WAIT.
    const history = await handle.fetchHistory();
    const looks = (history.events ?? []).filter(
      (e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'campaignDayOutcomes',
    );
    expect(looks.length).toBeGreaterThanOrEqual(3); // before the webhooks, after them, after the texts
    expect(looks.length).toBeLessThan(14);
  });
});
