import type { Playbook } from '../segments/playbooks.ts';
import { addDays, dayNumber } from './calendar.ts';
import { rankCustomers, type RankedCustomer } from './priority.ts';
import { reachOf } from './reach.ts';
import type { PlanningInput, SkippedCustomers } from './types.ts';
import { MIN_WINDOW_MINUTES } from './validate.ts';

/**
 * What the LLM is shown. Customers appear only as pseudonymous features under their alias —
 * never a name, address, phone, external id or our UUID — and the prompt stays bounded:
 *
 * - Up to `maxCustomers` reachable customers (300 by default), one row each, as long as the
 *   prompt stays under `maxCharacters` (60,000, about 15k tokens).
 * - Beyond that, cohorts: customers with the same segment × night buyer × consent pattern form
 *   one row (alias k01, k02, … in priority order of their best member) with the cohort's size
 *   and feature summaries. The model plans actions for cohorts; expandModelPlan splits each
 *   cohort's members, in priority order, into contiguous equal shares over the actions that
 *   name the cohort (the first action gets the highest-priority share), and moves a member still
 *   at the frequency cap to the first day it has room. Every row of a cohort is then the same
 *   segment (same playbook) and consent, so a valid cohort action is valid for each member.
 *   At most 10 segments × 2 × 3 patterns = 60 rows, whatever the audience size.
 *
 * Customers who cannot be reached at all (no channel, no playbook, capped for the whole window)
 * are left out of the prompt and reported as skipped.
 */

export const DEFAULT_MAX_CONTEXT_CUSTOMERS = 300;
export const DEFAULT_MAX_CONTEXT_CHARACTERS = 60_000;

export interface PlanTarget {
  ranked: RankedCustomer;
  /** The first day the frequency cap leaves room for one more message. */
  firstOpenDay: number;
}

export interface LlmContext {
  mode: 'customers' | 'cohorts';
  system: string;
  user: string;
  characters: number;
  rows: number;
  /** Alias (customer or cohort) → who it stands for, highest priority first. */
  targets: Map<string, PlanTarget[]>;
  /** Customer id → the alias the model knows them by (their own, or their cohort's). */
  aliasOf: Map<string, string>;
  skipped: SkippedCustomers;
}

export interface LlmContextOptions {
  maxCustomers?: number;
  maxCharacters?: number;
}

export function buildLlmContext(input: PlanningInput, options: LlmContextOptions = {}): LlmContext {
  const maxCustomers = options.maxCustomers ?? DEFAULT_MAX_CONTEXT_CUSTOMERS;
  const maxCharacters = options.maxCharacters ?? DEFAULT_MAX_CONTEXT_CHARACTERS;
  const skipped: SkippedCustomers = { total: 0, byReason: {} };
  const reachable: PlanTarget[] = [];
  for (const ranked of rankCustomers(input.customers, input.campaign.type)) {
    const reach = reachOf(ranked.customer, input);
    if (typeof reach === 'string') {
      skipped.total++;
      skipped.byReason[reach] = (skipped.byReason[reach] ?? 0) + 1;
    } else {
      reachable.push({ ranked, firstOpenDay: reach.firstOpenDay });
    }
  }

  if (reachable.length <= maxCustomers) {
    const context = customerContext(input, reachable, skipped);
    if (context.characters <= maxCharacters) return context;
  }
  return cohortContext(input, reachable, skipped);
}

function customerContext(input: PlanningInput, reachable: PlanTarget[], skipped: SkippedCustomers): LlmContext {
  const zones = new Dictionary();
  const firstDay = dayNumber(input.campaign.startsOn);
  const rows = reachable.map(({ ranked: { customer: c, priority }, firstOpenDay }) => [
    c.alias,
    c.segment,
    c.rfm.r,
    c.rfm.f,
    c.rfm.m,
    Math.round(c.clv),
    round2(c.churnRisk),
    priority,
    c.isNightBuyer ? 1 : 0,
    c.primaryCategory,
    c.consent.email ? 1 : 0,
    c.consent.sms ? 1 : 0,
    zones.code(c.timeZone),
    c.preferredHour,
    c.predictedNextPurchaseOn === null ? null : dayNumber(c.predictedNextPurchaseOn) - firstDay,
    firstOpenDay,
  ]);
  const customers = {
    columns: [
      'alias',
      'segment',
      'r',
      'f',
      'm',
      'clv',
      'churnRisk',
      'priority',
      'nightBuyer',
      'category',
      'email',
      'sms',
      'tz',
      'usualHour',
      'buyDay',
      'openFrom',
    ],
    rows,
  };
  const segments = new Set(reachable.map((t) => t.ranked.customer.segment));
  const user = brief(input, segments, { timeZones: zones.values, customers });
  const system = instructions(input, 'customers');
  return {
    mode: 'customers',
    system,
    user,
    characters: system.length + user.length,
    rows: rows.length,
    targets: new Map(reachable.map((t) => [t.ranked.customer.alias, [t]])),
    aliasOf: new Map(reachable.map((t) => [t.ranked.customer.customerId, t.ranked.customer.alias])),
    skipped,
  };
}

function cohortContext(input: PlanningInput, reachable: PlanTarget[], skipped: SkippedCustomers): LlmContext {
  const { windowDays } = input.campaign;
  const firstDay = dayNumber(input.campaign.startsOn);
  const byKey = new Map<string, PlanTarget[]>();
  for (const target of reachable) {
    const c = target.ranked.customer;
    const key = `${c.segment}|${c.isNightBuyer}|${c.consent.email}|${c.consent.sms}`;
    const members = byKey.get(key) ?? [];
    members.push(target);
    byKey.set(key, members);
  }
  // Insertion order is the order of each cohort's best member: the ranking decides.
  const cohorts = [...byKey.values()].map((members, i) => ({
    alias: `k${String(i + 1).padStart(2, '0')}`,
    members,
  }));
  const rows = cohorts.map(({ alias, members }) => {
    const c = members[0]!.ranked.customer;
    const buyDays = new Array<number>(windowDays).fill(0);
    for (const m of members) {
      const predicted = m.ranked.customer.predictedNextPurchaseOn;
      const offset = predicted === null ? -1 : dayNumber(predicted) - firstDay;
      if (offset >= 0 && offset < windowDays) buyDays[offset]!++;
    }
    return [
      alias,
      c.segment,
      c.isNightBuyer ? 1 : 0,
      c.consent.email ? 1 : 0,
      c.consent.sms ? 1 : 0,
      members.length,
      Math.round(median(members.map((m) => m.ranked.customer.clv)) ?? 0),
      round2(mean(members.map((m) => m.ranked.customer.churnRisk))),
      round2(mean(members.map((m) => m.ranked.priority))),
      topValues(members.map((m) => m.ranked.customer.primaryCategory)),
      median(
        members.flatMap((m) => (m.ranked.customer.preferredHour === null ? [] : [m.ranked.customer.preferredHour])),
      ),
      buyDays,
      members.filter((m) => m.firstOpenDay > 0).length,
    ];
  });
  const table = {
    columns: [
      'cohort',
      'segment',
      'nightBuyer',
      'email',
      'sms',
      'customers',
      'clvMedian',
      'churnRiskMean',
      'priorityMean',
      'topCategories',
      'usualHourMedian',
      'buyDays',
      'cappedEarly',
    ],
    rows,
  };
  const segments = new Set(reachable.map((t) => t.ranked.customer.segment));
  const user = brief(input, segments, { cohorts: table });
  const system = instructions(input, 'cohorts');
  const aliasOf = new Map<string, string>();
  for (const { alias, members } of cohorts) for (const m of members) aliasOf.set(m.ranked.customer.customerId, alias);
  return {
    mode: 'cohorts',
    system,
    user,
    characters: system.length + user.length,
    rows: rows.length,
    targets: new Map(cohorts.map((c) => [c.alias, c.members])),
    aliasOf,
    skipped,
  };
}

function brief(input: PlanningInput, segments: Set<string>, audience: Record<string, unknown>): string {
  const { campaign, rules } = input;
  const playbooks: Record<string, unknown> = {};
  for (const segment of [...segments].sort()) playbooks[segment] = compactPlaybook(input.playbooks[segment]!);
  return JSON.stringify({
    campaign: {
      name: campaign.name,
      type: campaign.type,
      goal: campaign.goal,
      startsOn: campaign.startsOn,
      windowDays: campaign.windowDays,
      dates: Array.from({ length: campaign.windowDays }, (_, d) => addDays(campaign.startsOn, d)),
      channels: campaign.channels,
      storeTimeZone: campaign.timeZone,
    },
    rules: {
      sendHours: rules.sendHours,
      minWindowMinutes: MIN_WINDOW_MINUTES,
      frequencyCap: rules.frequencyCap,
    },
    playbooks,
    ...audience,
  });
}

function compactPlaybook(p: Playbook) {
  return {
    goal: p.goal,
    offers: p.offers.map((o) => ({
      key: o.key,
      kind: o.kind,
      label: o.label,
      appliesTo: o.appliesTo,
      ...(o.maxDiscountPct === undefined ? {} : { minPct: o.minDiscountPct ?? 0, maxPct: o.maxDiscountPct }),
    })),
    limits: {
      maxMessagesPerWeek: p.limits.maxMessagesPerWeek,
      maxDiscountPct: p.limits.maxDiscountPct,
      channels: p.limits.channels,
    },
  };
}

function instructions(input: PlanningInput, mode: 'customers' | 'cohorts'): string {
  const { campaign, rules } = input;
  const lastDay = campaign.windowDays - 1;
  const who =
    mode === 'customers'
      ? [
          'The audience is the `customers` table (columns, then one row per customer). Refer to customers only by alias.',
          'Columns: r/f/m = RFM scores 1–5 (5 best); clv = predicted lifetime value in dollars; churnRisk 0–1;',
          'priority 0–1 (reach higher first); nightBuyer 1 = usually orders late at night; category = what they buy most;',
          'email/sms 1 = consented; tz = index into timeZones; usualHour = their usual local order hour;',
          'buyDay = campaign day of their predicted next purchase (negative = overdue, null = unknown);',
          'openFrom = the first day a message keeps them under the frequency cap.',
          'Give every customer one action unless a rule prevents it. An action lists the aliases it is for, so group',
          'customers who share day, window, channels and offer.',
        ]
      : [
          'The audience is summarised as the `cohorts` table: customers sharing segment, night buying and consent.',
          'Refer to cohorts only by their alias (k01, …) in `customers`. A cohort named in several actions is split in',
          'priority order into equal shares, one per action (the first action gets the highest priority share); every',
          'customer gets exactly one action. Use several actions to spread a large cohort over the days.',
          'Columns: customers = size; clvMedian in dollars; churnRiskMean 0–1; priorityMean 0–1 (reach higher first);',
          'topCategories = what they buy most; usualHourMedian = local order hour; buyDays[d] = customers whose next',
          'purchase is predicted on day d; cappedEarly = customers the frequency cap holds back for the first days',
          '(they are moved to their first allowed day automatically). Plan every cohort.',
        ];
  return [
    `You plan a ${campaign.windowDays}-day ${campaign.type} marketing campaign for a liquor store. The user message`,
    'is JSON with the campaign, the rules, the segment playbooks and the audience. Answer with the plan only.',
    ...who,
    '',
    'Hard rules — a plan that breaks one is rejected with the list of errors:',
    `- day is 0–${lastDay} (day 0 = ${campaign.startsOn}). At most one action per customer per day.`,
    `- channels: only ${campaign.channels.join(', ')}, only those the customer consented to, and only those in`,
    '  their segment playbook. Each channel of an action is one message.',
    "- offer: one of the segment playbook's offers, with its key, kind and label; discountPct within the offer's",
    '  minPct–maxPct and the playbook maxDiscountPct, or null when the offer has no discount.',
    `- window: the customer's local time as HH:MM, inside ${rules.sendHours.start}–${rules.sendHours.end}, at least`,
    `  ${MIN_WINDOW_MINUTES} minutes long.`,
    `- frequency cap: at most ${rules.frequencyCap.max} marketing messages per customer in any`,
    `  ${rules.frequencyCap.days} days, counting earlier campaigns; never before openFrom. The playbook's`,
    '  maxMessagesPerWeek limits the messages of this campaign per 7 days.',
    '',
    'Good practice: send a day or two before a predicted purchase; evenings (late in the send hours) for night',
    'buyers, otherwise shortly before their usual hour; SMS only for the highest priorities, e-mail otherwise;',
    "offers that suit the campaign's goal and the segment. brief = what the message says (one or two sentences,",
    'no personal data); rationale = why this day, channel and offer. themes: one short theme per day.',
  ].join('\n');
}

/** Maps values to small numbers, so a long repeated string is sent once. */
class Dictionary {
  values: string[] = [];
  #codes = new Map<string, number>();
  code(value: string): number {
    let code = this.#codes.get(value);
    if (code === undefined) {
      code = this.values.length;
      this.values.push(value);
      this.#codes.set(value, code);
    }
    return code;
  }
}

function round2(value: number): number {
  return Math.round(value * 100) / 100;
}

function mean(values: number[]): number {
  return values.reduce((a, b) => a + b, 0) / Math.max(1, values.length);
}

function median(values: number[]): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** The three most frequent non-null values, most frequent first (ties alphabetically). */
function topValues(values: (string | null)[]): string[] {
  const counts = new Map<string, number>();
  for (const v of values) if (v !== null) counts.set(v, (counts.get(v) ?? 0) + 1);
  return [...counts]
    .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))
    .slice(0, 3)
    .map(([v]) => v);
}
