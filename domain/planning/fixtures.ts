import { defaultSegments, type Playbook } from '../segments/playbooks.ts';
import type { ModelPlan } from './llm-plan.ts';
import { customerAlias, type CampaignPlan, type PlanningCustomer, type PlanningInput } from './types.ts';

/**
 * Small hand-made planning inputs for the planning tests: one customer or a few, every field
 * explicit, so a test can break exactly one rule. Generated audiences for property tests and
 * benchmarks come from bench/planner.bench.ts.
 */

export function fixtureId(n: number): string {
  return `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;
}

export function defaultPlaybooks(): Record<string, Playbook> {
  return Object.fromEntries(defaultSegments.map((s) => [s.key, structuredClone(s.playbook)]));
}

export function planningCustomer(n: number, overrides: Partial<PlanningCustomer> = {}): PlanningCustomer {
  return {
    customerId: fixtureId(n),
    alias: customerAlias(n - 1),
    segment: 'at_risk',
    rfm: { r: 2, f: 3, m: 3 },
    clv: 100 * n,
    churnRisk: 0.6,
    churnBand: 'high',
    expectedPurchases: 0.8,
    isNightBuyer: false,
    primaryCategory: 'Straight Bourbon Whiskies',
    preferredHour: 17,
    predictedNextPurchaseOn: null,
    consent: { email: true, sms: true },
    timeZone: 'America/Chicago',
    recentMarketingMessages: 0,
    ...overrides,
  };
}

export function planningInput(
  customers: PlanningCustomer[],
  overrides: { campaign?: Partial<PlanningInput['campaign']>; rules?: Partial<PlanningInput['rules']> } = {},
): PlanningInput {
  return {
    campaign: {
      name: 'Winter win-back',
      type: 'win_back',
      goal: 'Bring lapsed whiskey buyers back before the holidays',
      startsOn: '2026-12-01',
      windowDays: 7,
      channels: ['email', 'sms'],
      timeZone: 'America/Chicago',
      ...overrides.campaign,
    },
    playbooks: defaultPlaybooks(),
    customers,
    rules: {
      sendHours: { start: '08:00', end: '21:00' },
      frequencyCap: { max: 3, days: 7 },
      ...overrides.rules,
    },
  };
}

/** A plan as the LLM would write it: one action per planned action, naming the alias. */
export function asModelPlan(plan: CampaignPlan, input: PlanningInput): ModelPlan {
  const aliases = new Map(input.customers.map((c) => [c.customerId, c.alias]));
  return {
    themes: plan.themes,
    actions: plan.actions.map((a) => ({
      customers: [aliases.get(a.customerId)!],
      day: a.day,
      window: a.window,
      channels: a.channels,
      offer: { key: a.offer.key, kind: a.offer.kind, label: a.offer.label, discountPct: a.offer.discountPct ?? null },
      brief: a.brief,
      rationale: a.rationale,
    })),
  };
}
