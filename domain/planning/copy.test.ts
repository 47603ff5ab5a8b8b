import { describe, expect, it } from 'vitest';
import { generatePlanningInput } from '../../bench/planner.bench.ts';
import { checkCopy } from '../messaging/copy.ts';
import { offerKinds } from '../segments/playbooks.ts';
import { deterministicCopy, planSegments, settleDraftedCopy } from './copy.ts';
import { planDeterministic } from './deterministic.ts';
import { CAMPAIGN_TYPES, type CampaignPlan, type PlanningInput } from './types.ts';

function planned(input: PlanningInput): { input: PlanningInput; plan: CampaignPlan } {
  return { input, plan: planDeterministic(input).plan };
}

const audience = () => generatePlanningInput({ customers: 400, seed: 21 });

describe('deterministic copy', () => {
  it('covers exactly the segments the plan reaches, in the order of their first action', () => {
    const { input, plan } = planned(audience());
    const segmentOf = new Map(input.customers.map((c) => [c.customerId, c.segment]));
    const reached = [...new Set(plan.actions.map((a) => segmentOf.get(a.customerId)))];
    expect(reached.length).toBeGreaterThan(3);
    expect(deterministicCopy(input, plan).map((c) => c.segment)).toEqual(reached);
  });

  it('is the same for the same plan, whatever order the customers arrive in', () => {
    const input = audience();
    const copy = deterministicCopy(input, planDeterministic(input).plan);
    const shuffled = { ...input, customers: [...input.customers].reverse() };
    expect(deterministicCopy(shuffled, planDeterministic(shuffled).plan)).toEqual(copy);
    expect(deterministicCopy(input, planDeterministic(input).plan)).toEqual(copy);
  });

  it.each(CAMPAIGN_TYPES)('passes the copy checks for a %s campaign', async (type) => {
    const base = audience();
    const { input, plan } = planned({ ...base, campaign: { ...base.campaign, type } });
    const copy = deterministicCopy(input, plan);
    expect(copy.length).toBeGreaterThan(0);
    for (const c of copy) expect(await checkCopy(c, { storeName: 'Bob’s Bottles & Spirits' }), c.segment).toEqual([]);
  });

  it.each([...offerKinds])('writes valid copy for a segment offered %s, and uses its theme', async (kind) => {
    const { input, plan } = planned(audience());
    const offer = { key: `k_${kind}`, label: `A ${kind.replace('_', ' ')} offer`, kind };
    const withKind = { ...plan, actions: plan.actions.map((a) => ({ ...a, offer })) };
    const [first] = deterministicCopy(input, withKind);
    expect(await checkCopy(first!)).toEqual([]);
    const lead = planSegments(input, withKind)[0]!.lead;
    expect(first!.body).toContain(plan.themes.find((t) => t.day === lead.day)!.theme);
  });

  it('writes kind-neutral copy for a segment offered several kinds', async () => {
    const { input, plan } = planned(audience());
    const mixed = {
      ...plan,
      actions: plan.actions.map((a, i) => ({
        ...a,
        offer: i % 2 ? { key: 'gift', label: 'A gift', kind: 'free_gift' as const } : a.offer,
      })),
    };
    const [first] = deterministicCopy(input, mixed);
    expect(first!.body).toContain('{{ offer_label }}');
    expect(await checkCopy(first!)).toEqual([]);
  });

  it('keeps a model’s theme out of the Liquid', async () => {
    const { input, plan } = planned(audience());
    const themes = plan.themes.map((t) => ({ ...t, theme: 'Drinks on {{ customer.email }} <b>us</b>' }));
    const actions = plan.actions.map((a) => ({ ...a, brief: 'Tell them about the new shelf.' }));
    for (const c of deterministicCopy(input, { themes, actions })) expect(await checkCopy(c)).toEqual([]);
  });
});

describe('settling the model’s copy', () => {
  it('keeps valid drafts and gives refused or missing segments the deterministic copy, with reasons', async () => {
    const { input, plan } = planned(audience());
    const ours = deterministicCopy(input, plan);
    const [a, b, ...rest] = ours.map((c) => c.segment);
    const drafts = [
      {
        segment: a!,
        subject: 'Back for {{ first_name }}',
        body: 'Hi {{ first_name }},\n\nCome back.',
        sms: 'Back: {{ shop_url }}',
      },
      { segment: b!, subject: 'Hi {{ last_name }}', body: 'Hello', sms: '<i>hi</i>' },
      { segment: 'not_in_the_plan', subject: 'x', body: 'x', sms: 'x' },
    ];
    const { copy, rejected } = await settleDraftedCopy(drafts, ours);
    expect(copy.map((c) => [c.segment, c.source])).toEqual([
      [a, 'llm'],
      [b, 'deterministic'],
      ...rest.map((s) => [s, 'deterministic']),
    ]);
    expect(copy[0]).toMatchObject(drafts[0]!);
    expect(copy[1]).toEqual({ ...ours[1], source: 'deterministic' });
    expect(rejected[0]).toEqual({
      segment: b,
      issues: [
        expect.stringMatching(/^subject: unknown variable \{\{ last_name \}\}/),
        expect.stringMatching(/^sms: .*no HTML/),
      ],
    });
    expect(rejected.slice(1)).toEqual(
      rest.map((segment) => ({ segment, issues: ['no copy was drafted for this segment'] })),
    );
  });
});
