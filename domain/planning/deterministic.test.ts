import { describe, expect, it } from 'vitest';
import { generatePlanningInput } from '../../bench/planner.bench.ts';
import { Random } from '../../bench/datagen/random.ts';
import { chooseOffer, planDeterministic, SMS_TOP_SHARE } from './deterministic.ts';
import { defaultPlaybooks, planningCustomer, planningInput } from './fixtures.ts';
import { rankCustomers } from './priority.ts';
import type { PlannedAction, PlanningInput } from './types.ts';
import { validatePlan } from './validate.ts';

function actionFor(plan: { actions: PlannedAction[] }, customerId: string): PlannedAction | undefined {
  return plan.actions.find((a) => a.customerId === customerId);
}

describe('deterministic planner', () => {
  it('gives the same plan for the same input, in any customer order', () => {
    const input = generatePlanningInput({ customers: 500, seed: 11 });
    const once = planDeterministic(input);
    const again = planDeterministic(structuredClone(input));
    expect(again).toEqual(once);
    const shuffled = structuredClone(input);
    const random = new Random(5);
    for (let i = shuffled.customers.length - 1; i > 0; i--) {
      const j = random.int(0, i);
      [shuffled.customers[i], shuffled.customers[j]] = [shuffled.customers[j]!, shuffled.customers[i]!];
    }
    expect(shuffled.customers.map((c) => c.customerId)).not.toEqual(input.customers.map((c) => c.customerId));
    expect(planDeterministic(shuffled)).toEqual(once);
  });

  it('always produces a valid plan and accounts for every customer (60 generated inputs)', () => {
    const random = new Random(2026);
    let planned = 0;
    let skipped = 0;
    for (let seed = 1; seed <= 60; seed++) {
      const input = generatePlanningInput({ customers: random.int(0, 400), seed, varyRules: true });
      const { plan, skipped: report } = planDeterministic(input);
      expect(validatePlan(input, plan), `seed ${seed}`).toEqual([]);
      expect(plan.actions.length + report.total).toBe(input.customers.length);
      expect(Object.values(report.byReason).reduce((a, b) => a + b, 0)).toBe(report.total);
      expect(new Set(plan.actions.map((a) => a.customerId)).size).toBe(plan.actions.length);
      expect(plan.themes.map((t) => t.day)).toEqual([...Array(input.campaign.windowDays).keys()]);
      planned += plan.actions.length;
      skipped += report.total;
    }
    // The generated inputs exercise both outcomes, not just one.
    expect(planned).toBeGreaterThan(1_000);
    expect(skipped).toBeGreaterThan(100);
  });

  it('skips customers it cannot contact and says why', () => {
    const input = planningInput([
      planningCustomer(1),
      planningCustomer(2, { consent: { email: false, sms: false } }),
      planningCustomer(3, { consent: { email: false, sms: true } }),
      planningCustomer(4, { segment: 'vip_wine_club' }),
      planningCustomer(5, { segment: 'new_customers', consent: { email: false, sms: true } }),
    ]);
    input.campaign.channels = ['email'];
    const { plan, skipped } = planDeterministic(input);
    expect(plan.actions.map((a) => a.customerId)).toEqual([input.customers[0]!.customerId]);
    expect(skipped).toEqual({ total: 4, byReason: { no_consented_channel: 3, no_playbook: 1 } });
  });

  it('sends SMS only with SMS consent, and to the top priorities only when e-mail is open too', () => {
    const input = generatePlanningInput({ customers: 1_000, seed: 4 });
    const { plan } = planDeterministic(input);
    const byId = new Map(input.customers.map((c) => [c.customerId, c]));
    const ranked = rankCustomers(input.customers, input.campaign.type);
    const rankOf = new Map(ranked.map((r) => [r.customer.customerId, r.rank]));
    const sms = plan.actions.filter((a) => a.channels.includes('sms'));
    expect(sms.length).toBeGreaterThan(0);
    for (const action of sms) expect(byId.get(action.customerId)!.consent.sms).toBe(true);
    const bothOpen = plan.actions.filter((a) => {
      const c = byId.get(a.customerId)!;
      return c.consent.sms && c.consent.email;
    });
    const worstSmsRank = Math.max(
      ...bothOpen.filter((a) => a.channels[0] === 'sms').map((a) => rankOf.get(a.customerId)!),
    );
    const bestEmailRank = Math.min(
      ...bothOpen.filter((a) => a.channels[0] === 'email').map((a) => rankOf.get(a.customerId)!),
    );
    expect(worstSmsRank).toBeLessThan(bestEmailRank);
    expect(plan.actions.filter((a) => a.channels[0] === 'sms' && byId.get(a.customerId)!.consent.email).length).toBe(
      bothOpen.filter((a) => a.channels[0] === 'sms').length,
    );
    expect(bothOpen.filter((a) => a.channels[0] === 'sms').length).toBeLessThanOrEqual(
      Math.ceil(plan.actions.length * SMS_TOP_SHARE),
    );
  });

  it('gives night buyers the evening end of the send hours', () => {
    const input = planningInput(
      [
        planningCustomer(1, { isNightBuyer: true, preferredHour: 23 }),
        planningCustomer(2, { isNightBuyer: true, preferredHour: 2 }),
        planningCustomer(3, { isNightBuyer: false, preferredHour: 2 }),
      ],
      { rules: { sendHours: { start: '09:00', end: '20:30' } } },
    );
    const { plan } = planDeterministic(input);
    const [night1, night2, day] = input.customers.map((c) => actionFor(plan, c.customerId)!.window);
    expect(night1).toEqual({ start: '18:30', end: '20:30' });
    expect(night2).toEqual({ start: '18:30', end: '20:30' });
    // The same usual hour without night buying: the earliest window the send hours allow.
    expect(day).toEqual({ start: '09:00', end: '11:00' });
  });

  it('opens the window an hour before the usual order hour, clamped into the send hours', () => {
    const hours = [17, 20, 7, null];
    const input = planningInput(hours.map((preferredHour, i) => planningCustomer(i + 1, { preferredHour })));
    const { plan } = planDeterministic(input);
    const windows = input.customers.map((c) => actionFor(plan, c.customerId)!.window);
    expect(windows).toEqual([
      { start: '16:00', end: '18:00' },
      { start: '19:00', end: '21:00' },
      { start: '08:00', end: '10:00' },
      { start: '10:00', end: '12:00' },
    ]);
  });

  it('sends two days before a predicted purchase inside the window', () => {
    const input = planningInput([
      planningCustomer(1, { predictedNextPurchaseOn: '2026-12-05' }),
      planningCustomer(2, { predictedNextPurchaseOn: '2026-12-01' }),
      planningCustomer(3, { predictedNextPurchaseOn: '2026-12-09' }),
    ]);
    const { plan } = planDeterministic(input);
    const days = input.customers.map((c) => actionFor(plan, c.customerId)!.day);
    expect(days).toEqual([2, 0, 6]);
    expect(actionFor(plan, input.customers[0]!.customerId)!.rationale).toContain('predicted purchase on 2026-12-05');
  });

  it('spreads customers without a timing evenly, highest priority first', () => {
    const customers = Array.from({ length: 70 }, (_, i) => planningCustomer(i + 1, { clv: 10 * (i + 1) }));
    const input = planningInput(customers);
    const { plan } = planDeterministic(input);
    const perDay = Array.from({ length: 7 }, (_, d) => plan.actions.filter((a) => a.day === d));
    expect(perDay.map((d) => d.length)).toEqual([10, 10, 10, 10, 10, 10, 10]);
    for (let d = 1; d < 7; d++) {
      expect(Math.min(...perDay[d - 1]!.map((a) => a.priority))).toBeGreaterThanOrEqual(
        Math.max(...perDay[d]!.map((a) => a.priority)),
      );
    }
  });

  it('moves a customer at the frequency cap to the first day it has room', () => {
    const input = planningInput([planningCustomer(1, { recentMarketingMessages: 3 })]);
    const { plan } = planDeterministic(input);
    expect(plan.actions[0]!.day).toBe(6);
    expect(plan.actions[0]!.rationale).toContain('frequency cap');
    input.rules.frequencyCap = { max: 3, days: 14 };
    expect(planDeterministic(input).skipped.byReason).toEqual({ frequency_cap: 1 });
  });

  it('takes offers from the playbook, deeper discounts for high churn risk', () => {
    const playbooks = defaultPlaybooks();
    expect(chooseOffer(playbooks.at_risk!, 'win_back', true)).toMatchObject({ key: 'winback_20', discountPct: 20 });
    expect(chooseOffer(playbooks.at_risk!, 'win_back', false)).toMatchObject({ key: 'winback_15', discountPct: 15 });
    expect(chooseOffer(playbooks.champions!, 'new_arrival', false)).toEqual({
      key: 'early_access',
      label: playbooks.champions!.offers.find((o) => o.key === 'early_access')!.label,
      kind: 'early_access',
    });
    expect(chooseOffer(playbooks.loyal!, 'custom', false)!.key).toBe(playbooks.loyal!.offers[0]!.key);

    const input: PlanningInput = generatePlanningInput({ customers: 800, seed: 9 });
    input.campaign.type = 'holiday';
    for (const action of planDeterministic(input).plan.actions) {
      const customer = input.customers.find((c) => c.customerId === action.customerId)!;
      const offer = input.playbooks[customer.segment]!.offers.find((o) => o.key === action.offer.key);
      expect(offer, `${customer.segment} ${action.offer.key}`).toBeDefined();
      expect(action.offer.discountPct ?? 0).toBeLessThanOrEqual(
        input.playbooks[customer.segment]!.limits.maxDiscountPct,
      );
    }
  });

  it('writes a brief and a rationale for every action and one theme per day', () => {
    const input = generatePlanningInput({ customers: 50, seed: 2 });
    const { plan } = planDeterministic(input);
    for (const action of plan.actions) {
      expect(action.brief).toMatch(/^(E-mail|SMS)/);
      expect(action.rationale).toMatch(/^Rank \d+ of 50, priority/);
    }
    expect(plan.themes).toHaveLength(7);
    expect(plan.themes.at(-1)!.theme).toMatch(/Last call/);
  });
});
