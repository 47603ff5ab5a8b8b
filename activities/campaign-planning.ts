import { createHash } from 'node:crypto';
import { heartbeat } from '@temporalio/activity';
import { ageOn, minimumAgeFor, parseCalendarDate, type MinimumAges } from '../domain/compliance/index.ts';
import { splitHoldout } from '../domain/analytics/holdout.ts';
import { selectAudience } from '../domain/planning/priority.ts';
import {
  customerAlias,
  type CampaignPlan,
  type CampaignPlanner,
  type PlannedCopy,
  type PlanningCustomer,
  type PlanningInput,
} from '../domain/planning/types.ts';
import { validatePlan } from '../domain/planning/validate.ts';
import type { Playbook } from '../domain/segments/playbooks.ts';
import { zoneClock } from '../domain/import/local-time.ts';
import type { Db } from '../platform/db.ts';
import type { Channel } from '../domain/planning/types.ts';

/**
 * The campaign's planning steps: rank the audience, ask the planner for a plan, store it as
 * actions with each segment's message copy; apply a marketer's edits (validated like any plan);
 * freeze the plan and its copy on approval.
 */

export interface CampaignRules {
  minimumAge: MinimumAges;
  sendHours: { start: string; end: string };
  frequencyCap: { max: number; days: number };
  storeTimeZone: string;
  /** CAMPAIGN_DAY_LENGTH (tests and demos): under a day, approval compresses the calendar. */
  campaignDayLengthMs?: number;
}

const DAY_MS = 86_400_000;

export type ActionEdit =
  | { op: 'remove'; actionId: string }
  | { op: 'change'; actionId: string; day?: number; channels?: Channel[]; offerKey?: string; discountPct?: number };

interface CampaignRow {
  id: string;
  name: string;
  type: PlanningInput['campaign']['type'];
  goal: string | null;
  starts_on: string;
  window_days: number;
  channels: Channel[];
  time_zone: string;
  audience_size: number;
  target_segment_ids: string[];
  holdout_share: string;
}

/** The planner's view of one campaign: everything but the audience. */
async function campaignContext(db: Db, campaignId: string, rules: CampaignRules) {
  const campaign = (await db('campaigns').where({ id: campaignId }).first()) as CampaignRow | undefined;
  if (!campaign) throw new Error(`campaign ${campaignId} does not exist`);
  const segments = await db('segments').select('key', 'playbook');
  const playbooks = Object.fromEntries(segments.map((s: { key: string; playbook: Playbook }) => [s.key, s.playbook]));
  return {
    campaign,
    input: {
      campaign: {
        name: campaign.name,
        type: campaign.type,
        goal: campaign.goal ?? '',
        startsOn: campaign.starts_on,
        windowDays: campaign.window_days,
        channels: campaign.channels,
        timeZone: campaign.time_zone,
      },
      playbooks,
      rules: { sendHours: rules.sendHours, frequencyCap: rules.frequencyCap },
    },
  };
}

interface CandidateRow {
  customer_id: string;
  segment: string;
  rfm_r: number;
  rfm_f: number;
  rfm_m: number;
  clv: string;
  churn_risk: number;
  churn_band: PlanningCustomer['churnBand'];
  expected_purchases: number;
  is_night_buyer: boolean;
  primary_category: string | null;
  predicted_next_purchase_on: string | null;
  time_zone: string | null;
  country: string;
  date_of_birth: string | null;
  age_verified: boolean;
  email_ok: boolean;
  sms_ok: boolean;
}

/**
 * Scored customers of the target segments who may be marketed to on at least one of the
 * campaign's channels: opted in, an address on file, not suppressed, and of age on the first day.
 * Age is checked here, per country, so the planner never sees a customer it must not contact.
 */
async function candidates(
  db: Db,
  campaign: CampaignRow,
  rules: CampaignRules,
  only?: string[],
): Promise<CandidateRow[]> {
  const latestConsent = (channel: Channel) => `(
    select status = 'opted_in' from consents k
    where k.customer_id = c.id and k.channel = '${channel}' order by recorded_at desc limit 1)`;
  const rows = (await db.raw(
    `select c.id as customer_id, g.key as segment, s.rfm_r, s.rfm_f, s.rfm_m, s.clv, s.churn_risk, s.churn_band,
            s.expected_purchases, s.is_night_buyer, s.primary_category, s.predicted_next_purchase_on,
            c.time_zone, c.country, c.date_of_birth, c.age_verified,
            (c.email is not null and coalesce(${latestConsent('email')}, false)
              and not exists (select 1 from suppressions x where x.channel = 'email'
                              and x.address = lower(c.email) and x.lifted_at is null)) as email_ok,
            (c.phone is not null and coalesce(${latestConsent('sms')}, false)
              and not exists (select 1 from suppressions x where x.channel = 'sms'
                              and x.address = c.phone and x.lifted_at is null)) as sms_ok
     from customer_scores s
     join customers c on c.id = s.customer_id
     join segments g on g.id = s.segment_id
     where (cardinality(cast(:segments as uuid[])) = 0 or s.segment_id = any(cast(:segments as uuid[])))
       and (cast(:only as uuid[]) is null or c.id = any(cast(:only as uuid[])))`,
    { segments: campaign.target_segment_ids, only: only ?? null },
  )) as { rows: CandidateRow[] };
  return rows.rows.filter((r) => {
    if ((!r.email_ok || !campaign.channels.includes('email')) && (!r.sms_ok || !campaign.channels.includes('sms'))) {
      return false;
    }
    const birth = r.date_of_birth ? parseCalendarDate(r.date_of_birth) : undefined;
    if (!birth) return r.age_verified;
    return ageOn(birth, parseCalendarDate(campaign.starts_on)!) >= minimumAgeFor(r.country, rules.minimumAge);
  });
}

/** Per customer: most common local order hour, and marketing messages inside the cap window. */
async function enrich(db: Db, ids: string[], campaign: CampaignRow, rules: CampaignRules) {
  const hours = await db.raw(
    `select customer_id, mode() within group (order by extract(hour from ordered_at at time zone :tz)::int) as hour
     from orders where customer_id = any(cast(:ids as uuid[])) group by customer_id`,
    { ids, tz: campaign.time_zone },
  );
  const recent = await db.raw(
    `select customer_id, count(*)::int as n from sends
     where customer_id = any(cast(:ids as uuid[])) and status in ('sending', 'sent', 'delivered', 'unconfirmed', 'unknown')
       and sent_at >= cast(:start as date) - make_interval(days => :days)
     group by customer_id`,
    { ids, start: campaign.starts_on, days: rules.frequencyCap.days },
  );
  return {
    hour: new Map<string, number>(
      hours.rows.map((r: { customer_id: string; hour: number }) => [r.customer_id, r.hour]),
    ),
    recent: new Map<string, number>(recent.rows.map((r: { customer_id: string; n: number }) => [r.customer_id, r.n])),
  };
}

function toPlanningCustomer(r: CandidateRow, index: number, storeTz: string): PlanningCustomer {
  return {
    customerId: r.customer_id,
    alias: customerAlias(index),
    segment: r.segment,
    rfm: { r: r.rfm_r, f: r.rfm_f, m: r.rfm_m },
    clv: Number(r.clv),
    churnRisk: r.churn_risk,
    churnBand: r.churn_band,
    expectedPurchases: r.expected_purchases,
    isNightBuyer: r.is_night_buyer,
    primaryCategory: r.primary_category,
    preferredHour: null,
    predictedNextPurchaseOn: r.predicted_next_purchase_on,
    consent: { email: r.email_ok, sms: r.sms_ok },
    timeZone: r.time_zone ?? storeTz,
    recentMarketingMessages: 0,
  };
}

async function planningInput(
  db: Db,
  campaignId: string,
  rules: CampaignRules,
  audienceIds?: string[],
): Promise<{ campaign: CampaignRow; input: PlanningInput }> {
  const { campaign, input } = await campaignContext(db, campaignId, rules);
  const all = (await candidates(db, campaign, rules, audienceIds)).map((r, i) =>
    toPlanningCustomer(r, i, rules.storeTimeZone),
  );
  const chosen = audienceIds
    ? all
    : selectAudience(all, campaign.type, campaign.audience_size).map((r, i) => ({
        ...r.customer,
        alias: customerAlias(i),
      }));
  const extra = await enrich(
    db,
    chosen.map((c) => c.customerId),
    campaign,
    rules,
  );
  const customers = chosen.map((c) => ({
    ...c,
    preferredHour: extra.hour.get(c.customerId) ?? null,
    recentMarketingMessages: extra.recent.get(c.customerId) ?? 0,
  }));
  return { campaign, input: { ...input, customers } };
}

/**
 * Replaces the campaign's actions and the planner's copy in one go. Copy a marketer edited is
 * theirs: a new plan never overwrites it.
 */
async function storePlan(
  db: Db,
  campaignId: string,
  plan: CampaignPlan,
  segmentOf: Map<string, string>,
  copy: PlannedCopy[],
): Promise<void> {
  await db.transaction(async (trx) => {
    await trx('actions').where({ campaign_id: campaignId }).delete();
    for (let i = 0; i < plan.actions.length; i += 2_000) {
      await trx('actions').insert(
        plan.actions.slice(i, i + 2_000).map((a) => ({
          campaign_id: campaignId,
          customer_id: a.customerId,
          segment_key: segmentOf.get(a.customerId) ?? null,
          day: a.day,
          scheduled_on: a.scheduledOn,
          window_start: a.window.start,
          window_end: a.window.end,
          channels: a.channels,
          offer: JSON.stringify(a.offer),
          brief: a.brief,
          rationale: a.rationale,
          priority_score: a.priority,
        })),
      );
    }
    await trx('campaign_copy').where({ campaign_id: campaignId }).whereNot({ source: 'marketer' }).delete();
    if (copy.length > 0) {
      await trx('campaign_copy')
        .insert(
          copy.map((c) => ({
            campaign_id: campaignId,
            segment_key: c.segment,
            subject: c.subject,
            body_text: c.body,
            sms_text: c.sms,
            source: c.source,
          })),
        )
        .onConflict(['campaign_id', 'segment_key'])
        .ignore();
    }
  });
}

/** Replaces the campaign's holdout group: planning again draws the same customers (same seed). */
async function storeHoldout(db: Db, campaignId: string, holdout: PlanningCustomer[]): Promise<void> {
  await db.transaction(async (trx) => {
    await trx('campaign_holdouts').where({ campaign_id: campaignId }).delete();
    for (let i = 0; i < holdout.length; i += 5_000) {
      await trx('campaign_holdouts').insert(
        holdout
          .slice(i, i + 5_000)
          .map((c) => ({ campaign_id: campaignId, customer_id: c.customerId, segment_key: c.segment })),
      );
    }
  });
}

interface ActionRow {
  id: string;
  customer_id: string;
  day: number;
  scheduled_on: string;
  window_start: string;
  window_end: string;
  channels: Channel[];
  offer: CampaignPlan['actions'][number]['offer'];
  brief: string;
  rationale: string;
  priority_score: string;
}

const hhmm = (t: string) => t.slice(0, 5);

function actionOf(row: ActionRow): CampaignPlan['actions'][number] {
  return {
    customerId: row.customer_id,
    day: row.day,
    scheduledOn: row.scheduled_on,
    window: { start: hhmm(row.window_start), end: hhmm(row.window_end) },
    channels: row.channels,
    offer: row.offer,
    brief: row.brief ?? '',
    rationale: row.rationale ?? '',
    priority: Number(row.priority_score),
  };
}

function addDays(isoDate: string, days: number): string {
  return new Date(Date.parse(`${isoDate}T00:00:00Z`) + days * 86_400_000).toISOString().slice(0, 10);
}

export function createCampaignPlanningActivities({
  db,
  planner,
  rules,
}: {
  db: Db;
  planner: CampaignPlanner;
  rules: CampaignRules;
}) {
  return {
    /** Ranks the audience, plans, stores the actions, each segment's copy and the plan's record. */
    async generateCampaignPlan(campaignId: string): Promise<{ actions: number; skipped: number; planner: string }> {
      const ranked = await planningInput(db, campaignId, rules);
      // The holdout is drawn from the ranked audience and never planned, so never contacted.
      const { treated, holdout } = splitHoldout(
        ranked.input.customers,
        Number(ranked.campaign.holdout_share),
        campaignId,
      );
      const input = { ...ranked.input, customers: treated };
      await storeHoldout(db, campaignId, holdout);
      heartbeat('planning');
      const { plan, copy, record } = await planner.planCampaign(input);
      const segmentOf = new Map(input.customers.map((c) => [c.customerId, c.segment]));
      await storePlan(db, campaignId, plan, segmentOf, copy);
      const skipped = record.skipped?.total ?? 0;
      await db('campaigns')
        .where({ id: campaignId })
        .update({
          plan_record: JSON.stringify(record),
          audience_planned: input.customers.length,
          updated_at: db.fn.now(),
        });
      return { actions: plan.actions.length, skipped, planner: record.planner };
    },

    /** All edits or none: the edited plan is validated like any plan before anything is written. */
    async applyActionEdits(campaignId: string, edits: ActionEdit[]): Promise<{ applied: number; errors: string[] }> {
      const rows = (await db('actions').where({ campaign_id: campaignId })) as ActionRow[];
      const byId = new Map(rows.map((r) => [r.id, r]));
      const errors: string[] = [];
      const removed = new Set<string>();
      const changed = new Map<string, CampaignPlan['actions'][number]>();
      const { campaign, input } = await planningInput(
        db,
        campaignId,
        rules,
        rows.map((r) => r.customer_id),
      );
      for (const edit of edits) {
        const row = byId.get(edit.actionId);
        if (!row) {
          errors.push(`action ${edit.actionId} is not part of this campaign`);
          continue;
        }
        if (edit.op === 'remove') {
          removed.add(row.id);
          continue;
        }
        const action = changed.get(row.id) ?? actionOf(row);
        if (edit.day !== undefined) {
          action.day = edit.day;
          action.scheduledOn = addDays(campaign.starts_on, edit.day);
        }
        if (edit.channels) action.channels = edit.channels;
        if (edit.offerKey || edit.discountPct !== undefined) {
          const segment = input.customers.find((c) => c.customerId === row.customer_id)?.segment;
          const offer = segment
            ? input.playbooks[segment]?.offers.find((o) => o.key === (edit.offerKey ?? action.offer.key))
            : undefined;
          if (!offer) {
            errors.push(`offer ${edit.offerKey ?? action.offer.key} is not in the customer's playbook`);
            continue;
          }
          action.offer = {
            key: offer.key,
            label: offer.label,
            kind: offer.kind,
            ...(edit.discountPct !== undefined
              ? { discountPct: edit.discountPct }
              : offer.maxDiscountPct !== undefined
                ? { discountPct: offer.maxDiscountPct }
                : {}),
          };
        }
        changed.set(row.id, action);
      }
      const plan: CampaignPlan = {
        themes: [],
        actions: rows.filter((r) => !removed.has(r.id)).map((r) => changed.get(r.id) ?? actionOf(r)),
      };
      // Themes are not edited here; only the actions' own rules apply.
      errors.push(
        ...validatePlan(input, plan)
          .filter((e) => !e.path.startsWith('themes'))
          .map((e) => e.message),
      );
      if (errors.length) return { applied: 0, errors };
      await db.transaction(async (trx) => {
        if (removed.size)
          await trx('actions')
            .whereIn('id', [...removed])
            .delete();
        for (const [id, a] of changed) {
          await trx('actions')
            .where({ id })
            .update({
              day: a.day,
              scheduled_on: a.scheduledOn,
              channels: a.channels,
              offer: JSON.stringify(a.offer),
              updated_at: trx.fn.now(),
            });
        }
      });
      return { applied: edits.length, errors: [] };
    },

    /**
     * Freezes the plan: every action gets the instants its window opens and closes in the
     * recipient's time zone, and the plan (its copy included) a hash, so what was approved is
     * what is sent.
     */
    async approvePlan(campaignId: string, approvedBy: string | null): Promise<{ actions: number; planHash: string }> {
      return db.transaction(async (trx) => {
        // A copy edit holds this lock while it checks that the plan is not approved yet.
        await trx('campaigns').where({ id: campaignId }).forNoKeyUpdate().first('id');
        const rows = (await trx('actions as a')
          .join('customers as c', 'c.id', 'a.customer_id')
          .join('campaigns as k', 'k.id', 'a.campaign_id')
          .where('a.campaign_id', campaignId)
          .select('a.*', trx.raw('coalesce(c.time_zone, k.time_zone) as tz'))
          .orderBy('a.id')) as (ActionRow & { tz: string })[];
        const hash = createHash('sha256');
        const updates: { id: string; send_at: Date; send_until: Date }[] = [];
        const dayLength = rules.campaignDayLengthMs ?? DAY_MS;
        // A compressed day (tests, demos): every window is one short "day" from approval on.
        const approvedAt = dayLength < DAY_MS ? Date.now() : undefined;
        for (const r of rows) {
          if (approvedAt !== undefined) {
            const sendAt = approvedAt + r.day * dayLength;
            updates.push({ id: r.id, send_at: new Date(sendAt), send_until: new Date(sendAt + dayLength) });
            hash.update(JSON.stringify(actionOf(r)));
            continue;
          }
          const clock = zoneClock(r.tz);
          const [y, m, d] = r.scheduled_on.split('-').map(Number) as [number, number, number];
          const at = (t: string) => {
            const [h, min] = t.split(':').map(Number) as [number, number];
            return new Date(
              clock.toInstant({ year: y, month: m, day: d, hour: h, minute: min, second: 0, millisecond: 0 }),
            );
          };
          updates.push({ id: r.id, send_at: at(r.window_start), send_until: at(r.window_end) });
          hash.update(JSON.stringify(actionOf(r)));
        }
        for (let i = 0; i < updates.length; i += 5_000) {
          const chunk = updates.slice(i, i + 5_000);
          await trx.raw(
            `update actions a set send_at = u.send_at, send_until = u.send_until, status = 'approved', updated_at = now()
             from unnest(cast(? as uuid[]), cast(? as timestamptz[]), cast(? as timestamptz[])) as u(id, send_at, send_until) where a.id = u.id`,
            [chunk.map((u) => u.id), chunk.map((u) => u.send_at), chunk.map((u) => u.send_until)],
          );
        }
        const copy = await trx('campaign_copy')
          .where({ campaign_id: campaignId })
          .orderBy('segment_key')
          .select('segment_key', 'subject', 'body_text', 'sms_text');
        hash.update(JSON.stringify(copy));
        const planHash = hash.digest('hex');
        await trx('campaigns').where({ id: campaignId }).update({
          approved_by: approvedBy,
          approved_at: trx.fn.now(),
          approved_plan_at: trx.fn.now(),
          plan_hash: planHash,
        });
        return { actions: rows.length, planHash };
      });
    },
  };
}
