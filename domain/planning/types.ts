import { z } from 'zod';
import { campaignTypes } from '../campaigns/lifecycle.ts';
import { CHURN_BANDS } from '../scoring/churn.ts';
import { offerKinds, playbookSchema } from '../segments/playbooks.ts';
import { clockMinutes, dayNumber } from './calendar.ts';

/**
 * What a campaign planner reads (the campaign, the playbooks, the audience and the rules) and
 * what it returns (a plan of per-customer actions plus a record of how the plan was made).
 *
 * Dates and times in a plan are the recipient's local ones: `scheduledOn` is the customer's
 * calendar day and `window` their wall-clock hours, so quiet hours hold wherever they live.
 */

export { campaignTypes as CAMPAIGN_TYPES, type CampaignType } from '../campaigns/lifecycle.ts';

export const CHANNELS = ['email', 'sms'] as const;
export type Channel = (typeof CHANNELS)[number];

export const MAX_AUDIENCE_SIZE = 100_000;

const isoDate = z.string().refine((v) => Number.isFinite(dayNumber(v)), 'a calendar date as YYYY-MM-DD');
const clockTime = z.string().refine((v) => clockMinutes(v) !== undefined, 'a time as HH:MM');

const knownZones = new Set<string>();
function isTimeZone(zone: string): boolean {
  if (knownZones.has(zone)) return true;
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
  } catch {
    return false;
  }
  knownZones.add(zone);
  return true;
}
const timeZone = z.string().refine(isTimeZone, 'an IANA time zone');

const channelList = z
  .array(z.enum(CHANNELS))
  .min(1)
  .refine((list) => new Set(list).size === list.length, 'each channel once');

export const campaignSchema = z.strictObject({
  name: z.string().trim().min(1).max(200),
  type: z.enum(campaignTypes),
  goal: z.string().trim().max(1_000).default(''),
  startsOn: isoDate,
  windowDays: z.number().int().min(1).max(31).default(7),
  channels: channelList,
  /** The store's zone, for customers whose own is unknown and for the campaign's calendar. */
  timeZone,
});

/**
 * One customer as the planners see them. `customerId` never leaves the process; the LLM only
 * ever sees `alias`. Consent is already the answer to "may we market on this channel now"
 * (opted in, an address on file, not suppressed); age rules are applied before a customer gets here.
 */
export const planningCustomerSchema = z.strictObject({
  customerId: z.uuid(),
  /** A pseudonym such as c001, unique within the planning input. */
  alias: z.string().regex(/^c\d{3,6}$/, 'c followed by 3 to 6 digits'),
  segment: z.string().min(1),
  rfm: z.strictObject({
    r: z.number().int().min(1).max(5),
    f: z.number().int().min(1).max(5),
    m: z.number().int().min(1).max(5),
  }),
  clv: z.number().min(0),
  churnRisk: z.number().min(0).max(1),
  churnBand: z.enum(CHURN_BANDS),
  expectedPurchases: z.number().min(0),
  isNightBuyer: z.boolean(),
  primaryCategory: z.string().nullable(),
  /** Their most common local order hour, 0–23. */
  preferredHour: z.number().int().min(0).max(23).nullable(),
  predictedNextPurchaseOn: isoDate.nullable(),
  consent: z.strictObject({ email: z.boolean(), sms: z.boolean() }),
  timeZone,
  /** Marketing messages they received in the frequency cap's window before the campaign starts. */
  recentMarketingMessages: z.number().int().min(0),
});

export const planningRulesSchema = z.strictObject({
  /** Local hours in which marketing may arrive; outside them are quiet hours. */
  sendHours: z
    .strictObject({ start: clockTime, end: clockTime })
    .refine((h) => clockMinutes(h.start)! < clockMinutes(h.end)!, 'send hours must start before they end'),
  /** At most `max` marketing messages per customer in any `days` consecutive days, across campaigns. */
  frequencyCap: z.strictObject({ max: z.number().int().min(0), days: z.number().int().min(1) }),
});

export const planningInputSchema = z
  .strictObject({
    campaign: campaignSchema,
    /** By segment key. A customer whose segment has no playbook cannot be planned. */
    playbooks: z.record(z.string(), playbookSchema),
    customers: z.array(planningCustomerSchema).max(MAX_AUDIENCE_SIZE),
    rules: planningRulesSchema,
  })
  .superRefine((input, ctx) => {
    const ids = new Set<string>();
    const aliases = new Set<string>();
    input.customers.forEach((c, i) => {
      if (ids.has(c.customerId)) ctx.addIssue({ code: 'custom', path: ['customers', i], message: 'duplicate id' });
      if (aliases.has(c.alias)) ctx.addIssue({ code: 'custom', path: ['customers', i], message: 'duplicate alias' });
      ids.add(c.customerId);
      aliases.add(c.alias);
    });
  });

export type Campaign = z.infer<typeof campaignSchema>;
export type PlanningCustomer = z.infer<typeof planningCustomerSchema>;
export type PlanningRules = z.infer<typeof planningRulesSchema>;
export type PlanningInput = z.infer<typeof planningInputSchema>;

/** The pseudonym of the customer at `index` (0-based) in the audience: c001, c002, … */
export function customerAlias(index: number): string {
  return `c${String(index + 1).padStart(3, '0')}`;
}

export const planOfferSchema = z.strictObject({
  key: z.string().min(1).max(60),
  label: z.string().min(1).max(200),
  kind: z.enum(offerKinds),
  discountPct: z.number().min(0).max(100).optional(),
});

// Window times and days are checked by validatePlan, which explains what is wrong; the schema
// only fixes the shape.
export const plannedActionSchema = z.strictObject({
  customerId: z.string(),
  /** 0-based day of the campaign window. */
  day: z.number().int(),
  scheduledOn: z.string(),
  window: z.strictObject({ start: z.string(), end: z.string() }),
  channels: z.array(z.enum(CHANNELS)),
  offer: planOfferSchema,
  brief: z.string().max(2_000),
  rationale: z.string().max(2_000),
  /** The customer's priority in the audience, 0–1 (see priority.ts). */
  priority: z.number().min(0).max(1),
});

export const campaignPlanSchema = z.strictObject({
  themes: z.array(z.strictObject({ day: z.number().int(), theme: z.string().min(1).max(300) })),
  actions: z.array(plannedActionSchema),
});

export type PlanOffer = z.infer<typeof planOfferSchema>;
export type PlannedAction = z.infer<typeof plannedActionSchema>;
export type CampaignPlan = z.infer<typeof campaignPlanSchema>;

export const PLAN_RULES = [
  'unknown_customer',
  'no_playbook',
  'day_outside_window',
  'scheduled_on_mismatch',
  'channels_malformed',
  'channel_not_allowed',
  'channel_not_consented',
  'channel_not_in_playbook',
  'offer_not_in_playbook',
  'discount_out_of_bounds',
  'window_malformed',
  'window_outside_send_hours',
  'frequency_cap',
  'one_action_per_day',
  'playbook_weekly_limit',
  'theme_day_outside_window',
  'duplicate_theme',
] as const;
export type PlanRule = (typeof PLAN_RULES)[number];

/**
 * One broken rule. `message` never names the customer: `alias` (and `customerId`, which stays
 * in the process) say who, so the same message can be shown to the LLM and to a marketer.
 */
export interface PlanError {
  path: string;
  rule: PlanRule;
  message: string;
  customerId?: string;
  alias?: string;
  day?: number;
}

export const SKIP_REASONS = [
  'no_playbook',
  'no_consented_channel',
  'frequency_cap',
  'playbook_allows_no_messages',
  'no_offer_within_limits',
  'not_planned_by_model',
] as const;
export type SkipReason = (typeof SKIP_REASONS)[number];

export interface SkippedCustomers {
  total: number;
  byReason: Partial<Record<SkipReason, number>>;
}

/** How a plan was made: stored beside the plan for review, cost tracking and debugging. */
export interface PlanRecord {
  planner: 'llm' | 'deterministic';
  /** The model asked, also when its answer was not used. */
  model?: string;
  promptTokens?: number;
  completionTokens?: number;
  latencyMs: number;
  costEstimateUsd?: number;
  repairs: number;
  /** What was wrong with the model's first plan (at most MAX_RECORDED_ERRORS of them). */
  validationErrors: PlanError[];
  validationErrorCount: number;
  fallbackReason?: string;
  skipped: SkippedCustomers;
  /** What the model was shown: one row per customer, or cohorts expanded afterwards. */
  context?: { mode: 'customers' | 'cohorts'; rows: number; characters: number };
  /** How the message copy was made. */
  copy?: CopyRecord;
}

/** One segment's message copy: Liquid text with the copy variables (domain/messaging/copy.ts). */
export interface SegmentCopy {
  segment: string;
  subject: string;
  body: string;
  sms: string;
}

export interface PlannedCopy extends SegmentCopy {
  source: 'llm' | 'deterministic';
}

export interface CopyRecord {
  /** Who was asked to write it: the model, or only the deterministic templates. */
  drafted: 'llm' | 'deterministic';
  /** Why none of the model's copy was used (a failed call, a refusal, a malformed answer). */
  fallbackReason?: string;
  /** Segments whose drafted copy was refused, and why; they got the deterministic copy. */
  rejected: { segment: string; issues: string[] }[];
}

export const MAX_RECORDED_ERRORS = 100;

export interface PlanResult {
  plan: CampaignPlan;
  /** Copy for each segment with an action in the plan. */
  copy: PlannedCopy[];
  record: PlanRecord;
}

export interface PlanCampaignOptions {
  /** Cancels a model call in flight (e.g. the activity's cancellation signal); cancelling throws. */
  signal?: AbortSignal;
}

/** Which planner a process uses, for the API and UI to say. */
export type PlannerSummary = { planner: 'llm'; model: string } | { planner: 'deterministic'; reason: string };

export interface CampaignPlanner {
  readonly planner: 'llm' | 'deterministic';
  /** Why this is the deterministic planner, when it is. */
  readonly reason?: string;
  planCampaign(input: PlanningInput, options?: PlanCampaignOptions): Promise<PlanResult>;
}
