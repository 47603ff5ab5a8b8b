import { describe, expect, it } from 'vitest';
import { generatePlanningInput } from '../../bench/planner.bench.ts';
import { planDeterministic } from './deterministic.ts';
import { asModelPlan, fixtureId, planningCustomer, planningInput } from './fixtures.ts';
import { buildLlmContext } from './llm-context.ts';
import { errorsForModel, expandModelPlan, MAX_ERRORS_IN_REPAIR, repairPrompt, type ModelPlan } from './llm-plan.ts';
import { rankCustomers } from './priority.ts';
import type { PlanError } from './types.ts';
import { validatePlan } from './validate.ts';

function modelAction(customers: string[], overrides: Partial<ModelPlan['actions'][number]> = {}) {
  return {
    customers,
    day: 2,
    window: { start: '16:00', end: '18:00' },
    channels: ['email' as const],
    offer: { key: 'winback_15', kind: 'percent_off' as const, label: '15% off', discountPct: 15 },
    brief: 'E-mail with 15% off bourbon',
    rationale: 'lapsed bourbon buyers',
    ...overrides,
  };
}

describe('the model plan', () => {
  it('maps aliases back to customer ids and fills in dates and priorities', () => {
    const input = planningInput([planningCustomer(1), planningCustomer(2), planningCustomer(3)]);
    const context = buildLlmContext(input);
    const { plan, errors } = expandModelPlan({ themes: [], actions: [modelAction(['c001', 'c003'])] }, input, context);
    expect(errors).toEqual([]);
    const priority = new Map(
      rankCustomers(input.customers, 'win_back').map((r) => [r.customer.customerId, r.priority]),
    );
    expect(plan.actions.map((a) => [a.customerId, a.scheduledOn, a.priority])).toEqual([
      [fixtureId(1), '2026-12-03', priority.get(fixtureId(1))],
      [fixtureId(3), '2026-12-03', priority.get(fixtureId(3))],
    ]);
    expect(plan.themes.map((t) => t.day)).toEqual([0, 1, 2, 3, 4, 5, 6]);
    expect(validatePlan(input, plan)).toEqual([]);
  });

  it('turns a plan written per customer back into the same plan', () => {
    const input = generatePlanningInput({ customers: 120, seed: 6 });
    const { plan } = planDeterministic(input);
    const expanded = expandModelPlan(asModelPlan(plan, input), input, buildLlmContext(input));
    expect(expanded.errors).toEqual([]);
    expect(expanded.plan).toEqual(plan);
  });

  it('reports an alias the model made up', () => {
    const input = planningInput([planningCustomer(1)]);
    const { plan, errors } = expandModelPlan(
      { themes: [], actions: [modelAction(['c001', 'c999'])] },
      input,
      buildLlmContext(input),
    );
    expect(plan.actions).toHaveLength(1);
    expect(errors).toEqual([
      {
        path: 'actions[0].customers[1]',
        alias: 'c999',
        day: 2,
        rule: 'unknown_customer',
        message: 'c999 is not in the audience',
      },
    ]);
  });

  it('splits a cohort over its actions in priority order and moves capped members to their first open day', () => {
    const customers = Array.from({ length: 10 }, (_, i) => planningCustomer(i + 1, { clv: 100 * (i + 1) }));
    customers[9]!.recentMarketingMessages = 3; // the top CLV, so in the first share
    const input = planningInput(customers);
    const context = buildLlmContext(input, { maxCustomers: 5 });
    expect(context.mode).toBe('cohorts');
    expect([...context.targets.keys()]).toEqual(['k01']);
    const { plan, errors } = expandModelPlan(
      { themes: [], actions: [modelAction(['k01'], { day: 0 }), modelAction(['k01'], { day: 3 })] },
      input,
      context,
    );
    expect(errors).toEqual([]);
    const ranked = rankCustomers(customers, 'win_back').map((r) => r.customer.customerId);
    expect(plan.actions.map((a) => a.customerId)).toEqual(ranked);
    expect(plan.actions.map((a) => a.day)).toEqual([6, 0, 0, 0, 0, 3, 3, 3, 3, 3]);
    expect(plan.actions[0]!.customerId).toBe(fixtureId(10));
    expect(validatePlan(input, plan)).toEqual([]);
  });

  it('restates errors once per cohort action, by cohort alias and without customer ids', () => {
    const customers = Array.from({ length: 8 }, (_, i) =>
      planningCustomer(i + 1, { consent: { email: true, sms: false } }),
    );
    const input = planningInput(customers);
    const context = buildLlmContext(input, { maxCustomers: 1 });
    const model = { themes: [], actions: [modelAction(['k01'], { channels: ['sms'] })] };
    const expansion = expandModelPlan(model, input, context);
    const errors = validatePlan(input, expansion.plan);
    expect(errors).toHaveLength(8);
    expect(errorsForModel(errors, expansion, context)).toEqual([
      { path: 'actions[0].channels', alias: 'k01', day: 2, rule: 'channel_not_consented', message: 'no sms consent' },
    ]);
  });

  it('asks for a repair with every error in the model’s terms, up to a limit', () => {
    const errors: PlanError[] = Array.from({ length: 70 }, (_, i) => ({
      path: `actions[${i}].window`,
      alias: `c${String(i + 1).padStart(3, '0')}`,
      day: 1,
      rule: 'window_outside_send_hours',
      message: 'must lie within the send hours 08:00–21:00',
    }));
    const prompt = repairPrompt(errors);
    expect(prompt).toContain('70 rule violation(s) (the first 60 are listed)');
    expect(prompt).toContain(
      '- actions[0].window (c001, day 1): window_outside_send_hours — must lie within the send hours 08:00–21:00',
    );
    expect(prompt.split('\n').filter((l) => l.startsWith('- '))).toHaveLength(MAX_ERRORS_IN_REPAIR);
    expect(prompt).not.toContain('c070');
  });
});
