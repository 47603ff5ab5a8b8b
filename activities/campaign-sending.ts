import { Context, heartbeat } from '@temporalio/activity';
import { v5 as uuidv5 } from 'uuid';
import { smsFallbackReason, type EmailOutcome, type SmsFallbackReason } from '../domain/campaigns/sms-fallback.ts';
import { checkSend, type ComplianceRules, type ConsentStatus } from '../domain/compliance/index.ts';
import {
  compileCopy,
  compileTemplate,
  renderMessage,
  TemplateError,
  templateFor,
  type CompiledTemplate,
} from '../domain/messaging/index.ts';
import type { Db } from '../platform/db.ts';
import { matchEarlyTwilioReceipts } from './webhooks/early-receipts.ts';
import { messageVariables, type ActionOffer, type MessageSettings } from './messaging/variables.ts';
import type { EmailProvider, SendResult, SmsProvider } from './messaging/providers/types.ts';

/**
 * Sending a campaign day: compliance at send time, rendering, the provider call, and the send
 * ledger that makes it idempotent. A ledger row per (campaign, customer, channel, day) has a
 * deterministic id; it is marked `sending` before the provider is called and `sent` with the
 * provider's message id after. A row found in `sending` on a retry is ambiguous (the worker died
 * mid-call): it is resolved against the provider where the provider can tell, and otherwise
 * marked `unknown` and never sent again — a message is never sent twice.
 *
 * A message says what its segment's campaign copy says, when the campaign has copy for the
 * segment the action was planned for; otherwise it is the default template of its offer.
 */

export interface SendCounts {
  sent: number;
  skipped: number;
  /** Failed for good (permanent errors, or retries exhausted). */
  failed: number;
  /** Failed with a retryable error; the workflow retries them later. */
  retrying: number;
  /** Outcome unknown after a crash mid-call; not sent again. */
  unknown: number;
}

export interface SendBatchInput {
  campaignId: string;
  day: number;
  /** The window's opening instant (epoch ms); batches of attempt 1 send the actions due then. */
  opensAt: number;
  attempt: number;
  /** The last action id of the previous batch. */
  cursor: string | null;
  /** The workflow's time when it dispatched the batch: compliance is judged at this instant. */
  now: number;
  /**
   * A fallback pass (attempt 1 only): texts instead of the day's e-mails that could not reach
   * their customer, by the rule of domain/campaigns/sms-fallback.ts. Absent: the planned messages.
   */
  fallback?: { unopenedAfterMs: number | null };
}

export interface MessagingDeps extends MessageSettings {
  email: EmailProvider;
  sms: SmsProvider;
  rules: ComplianceRules;
  /** Messages per batch activity (Mailgun takes at most 1,000 per call). */
  batchSize?: number;
}

// Fixed forever: ledger ids must come out the same in every process and every release.
const LEDGER_NAMESPACE = '1b671a64-40d5-491e-99b0-da01ff1ab3bc';

export function sendId(campaignId: string, customerId: string, channel: string, day: number): string {
  return uuidv5(`${campaignId}/${customerId}/${channel}/${day}`, LEDGER_NAMESPACE);
}

/** Ledger statuses that count as a marketing message sent: the frequency cap counts them, campaigns and journeys alike. */
export const MARKETING_STATUSES = ['sending', 'sent', 'delivered', 'unconfirmed', 'unknown'];

interface DueMessage {
  action_id: string;
  customer_id: string;
  channel: 'email' | 'sms';
  offer: ActionOffer;
  /** The segment the action was planned for. */
  segment_key: string | null;
  first_name: string | null;
  email: string | null;
  phone: string | null;
  date_of_birth: string | null;
  age_verified: boolean;
  country: string;
  time_zone: string | null;
  primary_category: string | null;
  consent: ConsentStatus | null;
  suppressed: boolean;
  recent: number;
  ledger_status: string | null;
  attempts: number | null;
  /** Fallback passes only: the e-mail's row, and whether the SMS is allowed or already planned. */
  email_send_id?: string;
  email_status?: EmailOutcome['status'];
  email_skip_reason?: string | null;
  email_retryable?: boolean | null;
  email_sent_at?: Date | null;
  email_opened_at?: Date | null;
  email_clicked_at?: Date | null;
  planned_sms?: boolean;
  campaign_allows_sms?: boolean;
}

const empty = (): SendCounts => ({ sent: 0, skipped: 0, failed: 0, retrying: 0, unknown: 0 });

interface CopyRow {
  segment_key: string;
  subject: string;
  body_text: string;
  sms_text: string;
}

export function createCampaignSendingActivities({ db, messaging }: { db: Db; messaging: MessagingDeps }) {
  const batchSize = messaging.batchSize ?? 1_000;
  // MJML compiles once per offer and worker; each recipient is only a Liquid render.
  const templates = new Map<string, Promise<CompiledTemplate>>();
  const compiled = (offer: DueMessage['offer']) => {
    let t = templates.get(offer.key);
    if (!t) {
      t = compileTemplate(templateFor({ key: offer.key, kind: offer.kind }));
      templates.set(offer.key, t);
    }
    return t;
  };
  // Likewise per campaign and segment. The copy is frozen once the plan is approved; the text is
  // kept beside the template anyway, so a changed row can never be sent with stale words.
  const copyTemplates = new Map<string, { text: string; template: Promise<CompiledTemplate | null> }>();
  const compiledCopy = (campaignId: string, copy: CopyRow) => {
    const key = `${campaignId}/${copy.segment_key}`;
    const text = JSON.stringify([copy.subject, copy.body_text, copy.sms_text]);
    let entry = copyTemplates.get(key);
    if (!entry || entry.text !== text) {
      const template = compileCopy({ subject: copy.subject, body: copy.body_text, sms: copy.sms_text }).catch(
        (err: unknown) => {
          // Copy is checked when it is saved; should a stored one not compile, the default still goes out.
          if (!(err instanceof TemplateError)) {
            copyTemplates.delete(key);
            throw err;
          }
          Context.current().log.warn('campaign copy does not compile; using the offer template', {
            campaignId,
            segment: copy.segment_key,
            error: err.message,
          });
          return null;
        },
      );
      entry = { text, template };
      copyTemplates.set(key, entry);
    }
    return entry.template;
  };
  const templateOf = async (campaignId: string, m: DueMessage, copy: Map<string, CopyRow>) => {
    const segmentCopy = m.segment_key === null ? undefined : copy.get(m.segment_key);
    return (segmentCopy && (await compiledCopy(campaignId, segmentCopy))) ?? compiled(m.offer);
  };

  const afterCursor = (key: string) => `(cast(:cursor as text) is null or (${key}) > :cursor)`;

  /**
   * The batch's candidates: the planned messages of a window (first attempt), the day's failed
   * rows still to retry (later attempts), or the texts that may replace the day's e-mails
   * (a fallback pass, where the rule is applied to each row after the query).
   */
  function dueSql(input: SendBatchInput): string {
    if (input.fallback) {
      return `select a.id as action_id, a.customer_id, 'sms'::text as channel, a.offer, a.segment_key,
                e.id as email_send_id, e.status as email_status, e.skip_reason as email_skip_reason,
                e.retryable as email_retryable, e.sent_at as email_sent_at, e.opened_at as email_opened_at,
                e.clicked_at as email_clicked_at, 'sms' = any(a.channels) as planned_sms,
                (select 'sms' = any(k.channels) from campaigns k where k.id = :campaign) as campaign_allows_sms
         from sends e join actions a on a.id = e.action_id
         where e.campaign_id = :campaign and e.day = :day and e.channel = 'email' and a.status = 'approved'
           and e.status in ('skipped', 'failed', 'bounced', 'sent', 'delivered', 'unconfirmed')
           and ${afterCursor(`a.id::text || '/sms'`)}`;
    }
    if (input.attempt === 1) {
      return `select a.id as action_id, a.customer_id, ch.channel, a.offer, a.segment_key
         from actions a cross join lateral unnest(a.channels) as ch(channel)
         where a.campaign_id = :campaign and a.day = :day and a.status = 'approved'
           and a.send_at = cast(:opensAt as timestamptz)
           and ${afterCursor(`a.id::text || '/' || ch.channel`)}`;
    }
    // From the ledger rather than the plan: a fallback text is retried like a planned one.
    return `select a.id as action_id, f.customer_id, f.channel, a.offer, a.segment_key
       from sends f join actions a on a.id = f.action_id
       where f.campaign_id = :campaign and f.day = :day and a.status = 'approved'
         and f.status = 'failed' and f.retryable and f.attempts < :attempt`;
  }

  /** The batch's messages with everything compliance needs, in one query. */
  async function dueMessages(input: SendBatchInput): Promise<DueMessage[]> {
    const { rows } = await db.raw(
      `with due as (${dueSql(input)})
       select d.*, c.first_name, c.email, c.phone, c.date_of_birth, c.age_verified, c.country, c.time_zone,
              s.primary_category,
              (select status from consents k where k.customer_id = d.customer_id and k.channel = d.channel
                order by recorded_at desc limit 1) as consent,
              exists (select 1 from suppressions x where x.channel = d.channel and x.lifted_at is null
                      and x.address = case when d.channel = 'email' then lower(c.email) else c.phone end) as suppressed,
              (select count(*)::int from sends r where r.customer_id = d.customer_id
                 and r.status = any(:marketing) and r.sent_at > cast(:now as timestamptz) - make_interval(days => :capDays)
                 and r.id <> l.id) as recent,
              l.status as ledger_status, l.attempts
       from due d
       join customers c on c.id = d.customer_id
       left join customer_scores s on s.customer_id = d.customer_id
       left join sends l on l.campaign_id = :campaign and l.customer_id = d.customer_id
                        and l.channel = d.channel and l.day = :day
       -- The cursor is the last key processed: the batch must take the first keys, in key order.
       order by d.action_id::text || '/' || d.channel
       limit :limit`,
      {
        campaign: input.campaignId,
        day: input.day,
        opensAt: new Date(input.opensAt).toISOString(),
        cursor: input.cursor,
        marketing: MARKETING_STATUSES,
        capDays: messaging.rules.frequencyCap.days,
        attempt: input.attempt,
        limit: batchSize,
        now: new Date(input.now).toISOString(),
      },
    );
    return rows as DueMessage[];
  }

  async function record(id: string, fields: Record<string, unknown>): Promise<void> {
    await db('sends')
      .where({ id })
      .update({ ...fields, updated_at: db.fn.now() });
  }

  /**
   * A row left in `sending` by a crash: ask the provider's records. What the provider holds is
   * recorded as sent; what a provider that can tell does not hold was never accepted and goes
   * out now; where the provider cannot tell, it is `unknown` and never sent again.
   */
  async function resolveAmbiguous(id: string, m: DueMessage): Promise<'sent' | 'unknown' | 'unsent'> {
    const channel = m.channel;
    const provider = channel === 'email' ? messaging.email.name : messaging.sms.name;
    if (provider === 'sandbox') {
      const out = await db('outbox').where({ send_id: id }).first('provider_message_id');
      if (out) {
        await record(id, { status: 'sent', provider_message_id: out.provider_message_id, sent_at: db.fn.now() });
        return 'sent';
      }
    } else if (channel === 'email' && messaging.email.lookup && m.email) {
      const row = await db('sends').where({ id }).first('updated_at');
      const found = await messaging.email.lookup({ sendId: id, to: m.email, since: row.updated_at as Date });
      if (found !== null) {
        await record(id, {
          status: db.raw(`case when status = 'sending' then 'sent' else status end`),
          provider: provider,
          provider_message_id: found,
          sent_at: db.fn.now(),
        });
        return 'sent';
      }
      // The attempt that died never reached the provider: it does not count.
      await db('sends')
        .where({ id, status: 'sending' })
        .update({ status: 'pending', attempts: db.raw('greatest(attempts - 1, 0)'), updated_at: db.fn.now() });
      return 'unsent';
    }
    await record(id, {
      status: 'unknown',
      last_error: 'the worker stopped during the provider call; not sent again to avoid a duplicate',
    });
    return 'unknown';
  }

  return {
    /**
     * Sends up to `batchSize` due messages of a window (or retries of a day), heartbeating after
     * each so that a pause or cancel stops it after the message it is on.
     */
    async sendCampaignBatch(input: SendBatchInput): Promise<{ counts: SendCounts; nextCursor: string | null }> {
      const counts = empty();
      const due = await dueMessages(input);
      const copyRows = (await db('campaign_copy')
        .where({ campaign_id: input.campaignId })
        .select('segment_key', 'subject', 'body_text', 'sms_text')) as CopyRow[];
      const copy = new Map(copyRows.map((c) => [c.segment_key, c]));
      const signal = Context.current().cancellationSignal;
      let processed = 0;
      for (const m of due) {
        if (signal.aborted) break;
        processed++;
        const id = sendId(input.campaignId, m.customer_id, m.channel, input.day);
        const key = `${m.action_id}/${m.channel}`;
        let fallback: { fallback_of: string; fallback_reason: SmsFallbackReason } | undefined;
        if (input.fallback) {
          const reason = smsFallbackReason(
            {
              status: m.email_status!,
              skipReason: m.email_skip_reason ?? null,
              retryable: m.email_retryable ?? null,
              sentAt: m.email_sent_at ?? null,
              openedAt: m.email_opened_at ?? null,
              clickedAt: m.email_clicked_at ?? null,
            },
            {
              settings: { enabled: true, unopenedAfterMs: input.fallback.unopenedAfterMs },
              campaignAllowsSms: m.campaign_allows_sms === true,
              hasSms: m.planned_sms === true,
              now: new Date(input.now),
            },
          );
          if (reason === null) {
            heartbeat(key);
            continue;
          }
          fallback = { fallback_of: m.email_send_id!, fallback_reason: reason };
        }
        if (input.attempt === 1) {
          // The id is the SMS's own (campaign, customer, channel, day): a fallback decided twice
          // (a retried or crashed pass) finds its row and goes on from where it was.
          await db('sends')
            .insert({
              id,
              campaign_id: input.campaignId,
              action_id: m.action_id,
              customer_id: m.customer_id,
              channel: m.channel,
              day: input.day,
              status: 'pending',
              ...fallback,
            })
            .onConflict('id')
            .ignore();
          const status = m.ledger_status;
          const resolved = status === 'sending' ? await resolveAmbiguous(id, m) : null;
          if (resolved === 'sent' || resolved === 'unknown') {
            counts[resolved]++;
            heartbeat(key);
            continue;
          }
          if (resolved === null && status !== null && status !== 'pending') {
            heartbeat(key); // already decided by an earlier attempt of this batch
            continue;
          }
        }

        const decision = checkSend({
          customer: {
            dateOfBirth: m.date_of_birth,
            ageVerified: m.age_verified,
            country: m.country,
            timeZone: m.time_zone,
            phone: m.phone,
            email: m.email,
          },
          channel: m.channel,
          consent: m.consent,
          suppressed: m.suppressed,
          recentMarketingMessages: m.recent,
          now: new Date(input.now),
          rules: messaging.rules,
        });
        if (!decision.allowed) {
          await record(id, { status: 'skipped', skip_reason: decision.reason, last_error: decision.detail });
          counts.skipped++;
          heartbeat(key);
          continue;
        }

        const rendered = renderMessage(
          await templateOf(input.campaignId, m, copy),
          messageVariables(
            messaging,
            {
              customerId: m.customer_id,
              channel: m.channel,
              campaignId: input.campaignId,
              firstName: m.first_name,
              primaryCategory: m.primary_category,
              sendId: id,
            },
            m.offer,
          ),
        );

        // Durable before the call: a crash from here on leaves an ambiguous row, never a resend.
        await db('sends')
          .where({ id })
          .update({ status: 'sending', attempts: db.raw('attempts + 1'), updated_at: db.fn.now() });
        const result: SendResult =
          m.channel === 'email'
            ? (
                await messaging.email.send([
                  {
                    sendId: id,
                    campaignId: input.campaignId,
                    to: m.email!,
                    subject: rendered.subject,
                    html: rendered.html,
                    text: rendered.text,
                    headers: rendered.headers,
                  },
                ])
              )[0]!
            : await messaging.sms.send({ sendId: id, campaignId: input.campaignId, to: m.phone!, body: rendered.sms });
        if (result.ok) {
          await record(id, {
            // A webhook can beat this write (Mailgun matches on v:send_id): never move a row back.
            status: db.raw(`case when status = 'sending' then 'sent' else status end`),
            provider: m.channel === 'email' ? messaging.email.name : messaging.sms.name,
            provider_message_id: result.providerMessageId,
            sent_at: db.fn.now(),
            retryable: null,
            last_error: null,
          });
          if (m.channel === 'sms' && messaging.sms.name === 'twilio') {
            // Its status callback may have come in before this write: match it now.
            await matchEarlyTwilioReceipts(db, [result.providerMessageId]);
          }
          counts.sent++;
        } else {
          await record(id, {
            status: 'failed',
            retryable: result.retryable,
            error_code: result.code,
            last_error: result.message.slice(0, 500),
            failed_at: db.fn.now(),
          });
          counts[result.retryable ? 'retrying' : 'failed']++;
        }
        heartbeat(key);
      }
      // More to do when the batch was full, or when a pause stopped it part-way.
      const more = processed < due.length || due.length === batchSize;
      const last = due[processed - 1];
      const nextCursor = !more
        ? null
        : input.attempt === 1
          ? last
            ? `${last.action_id}/${last.channel}`
            : input.cursor
          : 'retries';
      return { counts, nextCursor };
    },
  };
}
