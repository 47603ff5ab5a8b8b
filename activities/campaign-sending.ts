import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import { Context, heartbeat } from '@temporalio/activity';
import { v5 as uuidv5 } from 'uuid';
import { smsFallbackReason, type EmailOutcome, type SmsFallbackReason } from '../domain/campaigns/sms-fallback.ts';
import { checkSend, type ComplianceRules, type ConsentStatus } from '../domain/compliance/index.ts';
import {
  compileCopy,
  compileTemplate,
  mailMergeReproduces,
  mailMergeValues,
  renderMailMerge,
  renderMessage,
  TemplateError,
  templateFor,
  type CompiledTemplate,
  type MailMergeTemplate,
} from '../domain/messaging/index.ts';
import type { Db } from '../platform/db.ts';
import { matchEarlyTwilioReceipts } from './webhooks/early-receipts.ts';
import { messageVariables, type ActionOffer, type MessageSettings } from './messaging/variables.ts';
import type {
  EmailMessage,
  EmailProvider,
  SendFailure,
  SendResult,
  SmsMessage,
  SmsProvider,
} from './messaging/providers/types.ts';

/**
 * Sending a campaign day: compliance at send time, rendering, the provider call, and the send
 * ledger that makes it idempotent. A ledger row per (campaign, customer, channel, day) has a
 * deterministic id; it is marked `sending` before the provider is called and `sent` with the
 * provider's message id after. A row found in `sending` on a retry is ambiguous (the worker died
 * mid-call): it is resolved against the provider where the provider can tell, and otherwise
 * marked `unknown` and never sent again — a message is never sent twice.
 *
 * E-mails through a provider that batches (Mailgun) go out a group at a time: the group's rows
 * are marked `sending` in one write, one call carries them all with each recipient's values as
 * recipient-variables, and each row then gets its own result and message id. A message whose
 * template does more with a recipient's value than print it goes alone, as texts always do.
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

/** A message cleared to go: its ledger row, and what its provider is given. */
interface Outgoing {
  /** Its place in the group it was decided in. */
  index: number;
  id: string;
  /** For heartbeats: the action and channel. */
  key: string;
  email?: EmailMessage;
  sms?: SmsMessage;
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
  // Messages decided, then sent, together: as many as one provider call can carry.
  const groupSize = Math.max(1, Math.min(messaging.email.batchLimit ?? 1, batchSize));
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

  /** What a message's renderer gives for its channel, with Mailgun's shared-body form where it reproduces it. */
  function outgoingMessage(
    input: SendBatchInput,
    m: DueMessage,
    id: string,
    template: CompiledTemplate,
    merges: Map<CompiledTemplate, Map<string, MailMergeTemplate>>,
  ): Pick<Outgoing, 'email' | 'sms'> {
    const vars = messageVariables(
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
    );
    const rendered = renderMessage(template, vars);
    if (m.channel === 'sms') {
      return { sms: { sendId: id, campaignId: input.campaignId, to: m.phone!, body: rendered.sms } };
    }
    const email: EmailMessage = {
      sendId: id,
      campaignId: input.campaignId,
      to: m.email!,
      subject: rendered.subject,
      html: rendered.html,
      text: rendered.text,
      headers: rendered.headers,
    };
    if (groupSize > 1) {
      // The shared body depends only on what is the same for every recipient of the template.
      const shared = JSON.stringify([vars.offer, vars.store]);
      const byVars = merges.get(template) ?? new Map<string, MailMergeTemplate>();
      merges.set(template, byVars);
      let merge = byVars.get(shared);
      if (!merge) {
        merge = renderMailMerge(template, vars);
        byVars.set(shared, merge);
      }
      const mailMerge = { template: merge, values: mailMergeValues(vars) };
      // Only a message the merge reproduces exactly may share a call; any other goes alone.
      if (mailMergeReproduces(mailMerge, email)) email.mailMerge = mailMerge;
    }
    return { email };
  }

  /** The ledger after a provider call: each row with its own result. */
  async function recordResults(sent: readonly Outgoing[], results: readonly SendResult[]): Promise<void> {
    const accepted: { id: string; providerMessageId: string; provider: string }[] = [];
    const refused = new Map<string, { ids: string[]; failure: SendFailure }>();
    sent.forEach((o, i) => {
      const result = results[i]!;
      if (result.sendId !== o.id) throw new Error(`the provider answered for ${result.sendId} in place of ${o.id}`);
      if (result.ok) {
        const provider = o.email ? messaging.email.name : messaging.sms.name;
        accepted.push({ id: o.id, providerMessageId: result.providerMessageId, provider });
      } else {
        const key = JSON.stringify([result.retryable, result.code, result.message]);
        const group = refused.get(key) ?? { ids: [], failure: result };
        group.ids.push(o.id);
        refused.set(key, group);
      }
    });
    if (accepted.length > 0) {
      await db.raw(
        `update sends s
            -- A webhook can beat this write (Mailgun matches on v:send_id): never move a row back.
            set status = case when s.status = 'sending' then 'sent' else s.status end,
                provider = a.provider, provider_message_id = a.provider_message_id, sent_at = now(),
                retryable = null, last_error = null, updated_at = now()
           from unnest(cast(:ids as uuid[]), cast(:providers as text[]), cast(:messageIds as text[]))
                as a(id, provider, provider_message_id)
          where s.id = a.id`,
        {
          ids: accepted.map((a) => a.id),
          providers: accepted.map((a) => a.provider),
          messageIds: accepted.map((a) => a.providerMessageId),
        },
      );
    }
    for (const { ids, failure } of refused.values()) {
      await db('sends')
        .whereIn('id', ids)
        .update({
          status: 'failed',
          retryable: failure.retryable,
          error_code: failure.code,
          last_error: failure.message.slice(0, 500),
          failed_at: db.fn.now(),
          updated_at: db.fn.now(),
        });
    }
  }

  /**
   * One provider call: its rows marked `sending` in one write first (durable before the call:
   * a crash from here on leaves ambiguous rows, never a resend), then each row's own result.
   */
  async function sendCall(call: readonly Outgoing[], counts: SendCounts): Promise<void> {
    await db('sends')
      .whereIn(
        'id',
        call.map((o) => o.id),
      )
      .update({ status: 'sending', attempts: db.raw('attempts + 1'), updated_at: db.fn.now() });
    const key = call[0]!.key;
    let results: SendResult[];
    if (call[0]!.sms) {
      results = [await messaging.sms.send(call[0]!.sms)];
    } else {
      // A call of a thousand recipients (or its one-by-one fallback) can outlast the heartbeat timeout.
      const beat = setInterval(() => heartbeat(key), 2_000);
      try {
        results = await messaging.email.send(call.map((o) => o.email!));
      } finally {
        clearInterval(beat);
      }
    }
    await recordResults(call, results);
    for (const result of results) {
      if (result.ok) counts.sent++;
      else counts[result.retryable ? 'retrying' : 'failed']++;
    }
    if (call[0]!.sms && messaging.sms.name === 'twilio' && results[0]!.ok) {
      // Its status callback may have come in before this write: match it now.
      await matchEarlyTwilioReceipts(db, [results[0]!.providerMessageId]);
    }
    heartbeat(key);
  }

  return {
    /**
     * Sends up to `batchSize` due messages of a window (or retries of a day). E-mails go out in
     * groups of up to the provider's batch limit (Mailgun: one call, each recipient with their
     * recipient-variables), anything else one call per message; a pause or cancel stops the batch
     * after the provider call it is on, with the ledger exact.
     */
    async sendCampaignBatch(input: SendBatchInput): Promise<{ counts: SendCounts; nextCursor: string | null }> {
      const counts = empty();
      const due = await dueMessages(input);
      const copyRows = (await db('campaign_copy')
        .where({ campaign_id: input.campaignId })
        .select('segment_key', 'subject', 'body_text', 'sms_text')) as CopyRow[];
      const copy = new Map(copyRows.map((c) => [c.segment_key, c]));
      const signal = Context.current().cancellationSignal;
      const merges = new Map<CompiledTemplate, Map<string, MailMergeTemplate>>();

      /** Decides and sends one group of messages; answers how many, from its start, are done. */
      async function sendGroup(group: DueMessage[]): Promise<number> {
        const done = group.map(() => false);
        const ids = group.map((m) => sendId(input.campaignId, m.customer_id, m.channel, input.day));
        const keys = group.map((m) => `${m.action_id}/${m.channel}`);
        const fallbacks = group.map((m) => (input.fallback ? fallbackOf(m, input) : undefined));
        if (input.attempt === 1) {
          // The id is the message's own (campaign, customer, channel, day): a row decided twice
          // (a retried or crashed batch) is found again and goes on from where it was.
          const rows = group.flatMap((m, i) =>
            fallbacks[i] === null
              ? []
              : [
                  {
                    id: ids[i],
                    campaign_id: input.campaignId,
                    action_id: m.action_id,
                    customer_id: m.customer_id,
                    channel: m.channel,
                    day: input.day,
                    status: 'pending',
                    ...fallbacks[i],
                  },
                ],
          );
          if (rows.length > 0) await db('sends').insert(rows).onConflict('id').ignore();
        }

        const outgoing: Outgoing[] = [];
        for (const [i, m] of group.entries()) {
          // Paused while deciding: what is decided stays, nothing more is sent.
          // Deciding a thousand messages is a long stretch of CPU: let heartbeats and a pause through.
          if (i > 0 && i % 50 === 0) await yieldToEventLoop();
          if (signal.aborted) break;
          const id = ids[i]!;
          const key = keys[i]!;
          done[i] = true;
          heartbeat(key);
          if (fallbacks[i] === null) continue; // the e-mail reached its customer: no text
          if (input.attempt === 1) {
            const status = m.ledger_status;
            const resolved = status === 'sending' ? await resolveAmbiguous(id, m) : null;
            if (resolved === 'sent' || resolved === 'unknown') {
              counts[resolved]++;
              continue;
            }
            if (resolved === null && status !== null && status !== 'pending') continue; // decided by an earlier attempt
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
            continue;
          }
          const template = await templateOf(input.campaignId, m, copy);
          outgoing.push({ index: i, id, key, ...outgoingMessage(input, m, id, template, merges) });
          done[i] = false;
        }

        // E-mails that share a body in one call, then every other message alone.
        const together = outgoing.filter((o) => o.email?.mailMerge);
        const calls = [
          ...(together.length > 0 ? [together] : []),
          ...outgoing.filter((o) => !o.email?.mailMerge).map((o) => [o]),
        ];
        for (const call of calls) {
          if (signal.aborted) break;
          await sendCall(call, counts);
          for (const o of call) done[o.index] = true;
        }
        const unfinished = done.indexOf(false);
        return unfinished < 0 ? group.length : unfinished;
      }

      let processed = 0;
      while (processed < due.length && !signal.aborted) {
        const group = due.slice(processed, processed + groupSize);
        const finished = await sendGroup(group);
        processed += finished;
        if (finished < group.length) break;
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

/** A fallback pass's rule for one row: the text's ledger fields, or null when no text replaces the e-mail. */
function fallbackOf(
  m: DueMessage,
  input: SendBatchInput,
): { fallback_of: string; fallback_reason: SmsFallbackReason } | null {
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
      settings: { enabled: true, unopenedAfterMs: input.fallback!.unopenedAfterMs },
      campaignAllowsSms: m.campaign_allows_sms === true,
      hasSms: m.planned_sms === true,
      now: new Date(input.now),
    },
  );
  return reason === null ? null : { fallback_of: m.email_send_id!, fallback_reason: reason };
}
