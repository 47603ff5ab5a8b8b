import { ApplicationFailure, Context, heartbeat } from '@temporalio/activity';
import {
  journeys,
  journeySettings,
  type JourneyExit,
  type JourneyKind,
  type JourneySettings,
  type JourneyStep,
  type JourneyTrigger,
} from '../domain/journeys/definitions.ts';
import { checkSend, type ConsentStatus } from '../domain/compliance/index.ts';
import {
  compileCopy,
  compileTemplate,
  renderMessage,
  templateFor,
  type CompiledTemplate,
} from '../domain/messaging/index.ts';
import type { Db } from '../platform/db.ts';
import { signalWithStartJourney } from '../temporal/journey-starts.ts';
import { createJourneyDispatchActivities } from './journey-dispatch.ts';
import { MARKETING_STATUSES, sendId, type MessagingDeps } from './campaign-sending.ts';
import { messageVariables } from './messaging/variables.ts';
import type { SendResult } from './messaging/providers/types.ts';
import { matchEarlyTwilioReceipts } from './webhooks/early-receipts.ts';

/**
 * The journeys' activities. A journey message takes the campaigns' sending path: the same
 * templates (or the marketer's copy), compliance judged at send time, the frequency cap counted
 * over every marketing send of the customer's, and a ledger row with a deterministic id marked
 * `sending` before the provider call, which webhooks and revenue attribution key off.
 */

export interface BeginJourneyInput {
  journey: JourneyKind;
  runId: string;
  workflowId: string;
  customerId: string;
  trigger: JourneyTrigger;
  startedAt: string;
}

export interface JourneyPlan extends JourneySettings {
  exitsOnPurchase: boolean;
}

export interface SendJourneyStepInput {
  journey: JourneyKind;
  runId: string;
  customerId: string;
  step: number;
  message: JourneyStep;
  startedAt: string;
  exitsOnPurchase: boolean;
  /** The workflow's time: compliance is judged at this instant. */
  now: number;
}

export type JourneyStepOutcome =
  | { outcome: 'sent' | 'skipped' | 'failed' | 'unknown'; sendId: string; reason?: string }
  | { outcome: 'wait'; retryAt: number }
  | { outcome: 'exit'; exit: JourneyExit };

interface Recipient {
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
  purchased: boolean;
  ledger_status: string | null;
  retryable: boolean | null;
}

/** Customers whose win-back journeys one activity call starts at once. */
const WIN_BACK_BATCH = 200;

/** The ledger's business key of a journey message: its run (not its workflow id, which repeats), channel and step. */
export function journeySendId(runId: string, customerId: string, channel: string, step: number): string {
  return sendId(`journey/${runId}`, customerId, channel, step);
}

export function createJourneyActivities({
  db,
  messaging,
  stopping,
}: {
  db: Db;
  messaging: MessagingDeps;
  stopping?: AbortSignal;
}) {
  const templates = new Map<string, Promise<CompiledTemplate>>();
  const compiled = (message: JourneyStep) => {
    const key = JSON.stringify([message.offer.key, message.offer.kind, message.copy ?? null]);
    let t = templates.get(key);
    if (!t) {
      // Copy is checked when the settings are saved.
      t = message.copy ? compileCopy(message.copy) : compileTemplate(templateFor(message.offer));
      t.catch(() => templates.delete(key));
      templates.set(key, t);
    }
    return t;
  };

  async function record(id: string, fields: Record<string, unknown>): Promise<void> {
    await db('sends')
      .where({ id })
      .update({ ...fields, updated_at: db.fn.now() });
  }

  async function recipient(input: SendJourneyStepInput, id: string): Promise<Recipient | undefined> {
    const { rows } = await db.raw<{ rows: Recipient[] }>(
      `select c.first_name, c.email, c.phone, c.date_of_birth, c.age_verified, c.country, c.time_zone,
              s.primary_category,
              (select status from consents k where k.customer_id = c.id and k.channel = :channel
                order by recorded_at desc limit 1) as consent,
              exists (select 1 from suppressions x where x.channel = :channel and x.lifted_at is null
                      and x.address = case when :channel = 'email' then lower(c.email) else c.phone end) as suppressed,
              (select count(*)::int from sends r where r.customer_id = c.id and r.status = any(:marketing)
                 and r.sent_at > cast(:now as timestamptz) - make_interval(days => :capDays) and r.id <> :id) as recent,
              exists (select 1 from orders o where o.customer_id = c.id
                      and o.ordered_at >= cast(:startedAt as timestamptz)) as purchased,
              l.status as ledger_status, l.retryable
       from customers c
       left join customer_scores s on s.customer_id = c.id
       left join sends l on l.id = :id
       where c.id = :customer`,
      {
        channel: input.message.channel,
        marketing: MARKETING_STATUSES,
        now: new Date(input.now).toISOString(),
        capDays: messaging.rules.frequencyCap.days,
        id,
        startedAt: input.startedAt,
        customer: input.customerId,
      },
    );
    return rows[0];
  }

  return {
    ...createJourneyDispatchActivities({ db, stopping }),

    /** Records the run and snapshots the store's settings of the journey into the workflow. */
    async beginJourney(input: BeginJourneyInput): Promise<JourneyPlan> {
      await db('journey_runs')
        .insert({
          id: input.runId,
          journey: input.journey,
          customer_id: input.customerId,
          workflow_id: input.workflowId,
          trigger: input.trigger,
          started_at: input.startedAt,
        })
        .onConflict('id')
        .ignore();
      const stored = await db('journey_settings').where({ journey: input.journey }).first('enabled', 'settings');
      return { ...journeySettings(input.journey, stored), exitsOnPurchase: journeys[input.journey].exitsOnPurchase };
    },

    async finishJourney(input: {
      runId: string;
      status: 'completed' | 'exited';
      exitReason: JourneyExit | null;
    }): Promise<void> {
      await db('journey_runs')
        .where({ id: input.runId })
        .update({ status: input.status, exit_reason: input.exitReason, finished_at: db.fn.now() });
    },

    /**
     * One step's message. Looks first for a reason to end the journey, then sends through the
     * ledger: a row decided by an earlier attempt is not sent again, and a row left `sending` by
     * a crash is `unknown`, never a second message.
     */
    async sendJourneyStep(input: SendJourneyStepInput): Promise<JourneyStepOutcome> {
      const { channel } = input.message;
      const id = journeySendId(input.runId, input.customerId, channel, input.step);
      const r = await recipient(input, id);
      if (!r) return { outcome: 'exit', exit: 'opted_out' };
      if (input.exitsOnPurchase && r.purchased) return { outcome: 'exit', exit: 'purchased' };
      if (r.consent === 'opted_out') return { outcome: 'exit', exit: 'opted_out' };
      if (r.suppressed) return { outcome: 'exit', exit: 'suppressed' };

      const decision = checkSend({
        customer: {
          dateOfBirth: r.date_of_birth,
          ageVerified: r.age_verified,
          country: r.country,
          timeZone: r.time_zone,
          phone: r.phone,
          email: r.email,
        },
        channel,
        consent: r.consent,
        suppressed: r.suppressed,
        recentMarketingMessages: r.recent,
        now: new Date(input.now),
        rules: messaging.rules,
      });
      if (
        !decision.allowed &&
        decision.reason === 'quiet_hours' &&
        decision.retryAt &&
        (r.ledger_status === null || r.ledger_status === 'pending')
      ) {
        return { outcome: 'wait', retryAt: decision.retryAt.getTime() };
      }

      await db('sends')
        .insert({
          id,
          journey_run_id: input.runId,
          journey_step: input.step,
          customer_id: input.customerId,
          channel,
          status: 'pending',
        })
        .onConflict('id')
        .ignore();
      if (r.ledger_status === 'sending') {
        await record(id, {
          status: 'unknown',
          last_error: 'the worker stopped during the provider call; not sent again to avoid a duplicate',
        });
        return { outcome: 'unknown', sendId: id };
      }
      const retrying = r.ledger_status === 'failed' && r.retryable === true;
      if (r.ledger_status !== null && r.ledger_status !== 'pending' && !retrying) {
        const decided = r.ledger_status === 'skipped' ? 'skipped' : r.ledger_status === 'failed' ? 'failed' : 'sent';
        return { outcome: decided, sendId: id };
      }
      if (!decision.allowed) {
        await record(id, { status: 'skipped', skip_reason: decision.reason, last_error: decision.detail });
        return { outcome: 'skipped', sendId: id, reason: decision.reason };
      }

      const rendered = renderMessage(
        await compiled(input.message),
        messageVariables(
          messaging,
          {
            customerId: input.customerId,
            channel,
            campaignId: null,
            firstName: r.first_name,
            primaryCategory: r.primary_category,
            sendId: id,
          },
          input.message.offer,
        ),
      );
      // Durable before the call: a crash from here on leaves an ambiguous row, never a resend.
      await db('sends')
        .where({ id })
        .update({ status: 'sending', attempts: db.raw('attempts + 1'), updated_at: db.fn.now() });
      const result: SendResult =
        channel === 'email'
          ? (
              await messaging.email.send([
                {
                  sendId: id,
                  campaignId: null,
                  to: r.email!,
                  subject: rendered.subject,
                  html: rendered.html,
                  text: rendered.text,
                  headers: rendered.headers,
                },
              ])
            )[0]!
          : await messaging.sms.send({ sendId: id, campaignId: null, to: r.phone!, body: rendered.sms });
      if (result.ok) {
        await record(id, {
          // A webhook can beat this write: never move a row back.
          status: db.raw(`case when status = 'sending' then 'sent' else status end`),
          provider: channel === 'email' ? messaging.email.name : messaging.sms.name,
          provider_message_id: result.providerMessageId,
          sent_at: db.fn.now(),
          retryable: null,
          last_error: null,
        });
        if (channel === 'sms' && messaging.sms.name === 'twilio') {
          await matchEarlyTwilioReceipts(db, [result.providerMessageId]);
        }
        return { outcome: 'sent', sendId: id };
      }
      await record(id, {
        status: 'failed',
        retryable: result.retryable,
        error_code: result.code,
        last_error: result.message.slice(0, 500),
        failed_at: db.fn.now(),
      });
      if (result.retryable) {
        // Temporal retries the step (3 attempts, 5 minutes apart); the failed row may go again.
        throw ApplicationFailure.retryable(result.message, 'JourneySendFailed');
      }
      return { outcome: 'failed', sendId: id, reason: result.code };
    },

    /**
     * The nightly scoring run's hook: starts a win-back journey for each customer who moved
     * into high churn risk since the last run, in batches, then remembers everyone's band. A
     * customer seen for the first time is remembered, not won back: they did not move.
     */
    async startWinBackJourneys(input: {
      scoringRunId: string;
      workflowsTaskQueue: string;
    }): Promise<{ started: number; signalled: number }> {
      const ctx = Context.current();
      const enabled = journeySettings('win_back', await db('journey_settings').where({ journey: 'win_back' }).first());
      let started = 0;
      let signalled = 0;
      for (;;) {
        if (!enabled.enabled) break;
        const moved = (await db('customer_scores as s')
          .join('journey_churn_bands as b', 'b.customer_id', 's.customer_id')
          .where('s.churn_band', 'high')
          .whereNot('b.band', 'high')
          .orderBy('s.customer_id')
          .limit(WIN_BACK_BATCH)
          .pluck('s.customer_id')) as string[];
        if (moved.length === 0) break;
        const results = await Promise.all(
          moved.map((customerId) =>
            signalWithStartJourney(ctx.client, db, {
              journey: 'win_back',
              customerId,
              trigger: 'scoring',
              event: {
                type: 'churn_risk_high',
                eventId: `scoring/${input.scoringRunId}/${customerId}`,
                occurredAt: new Date().toISOString(),
              },
              taskQueue: input.workflowsTaskQueue,
            }),
          ),
        );
        for (const s of results) {
          if (s.outcome === 'started') started++;
          else signalled++;
        }
        // Remembered after the starts: a retry after a crash starts nobody twice (the id is the customer's).
        await db('journey_churn_bands').whereIn('customer_id', moved).update({ band: 'high', seen_at: db.fn.now() });
        heartbeat({ started, signalled });
      }
      await db.raw(
        `insert into journey_churn_bands as b (customer_id, band)
         select customer_id, churn_band from customer_scores
         on conflict (customer_id) do update set band = excluded.band, seen_at = now()
         where b.band is distinct from excluded.band`,
      );
      return { started, signalled };
    },
  };
}
