import { describe, expect, it } from 'vitest';
import { generatePlanningInput } from '../../bench/planner.bench.ts';
import { planningCustomer } from './fixtures.ts';
import { PRIORITY_WEIGHTS, rankCustomers, segmentFit, selectAudience, UNKNOWN_SEGMENT_FIT } from './priority.ts';

describe('customer priority', () => {
  it('blends CLV percentile, churn risk and segment fit with the documented weights', () => {
    const customers = [
      planningCustomer(1, { clv: 50, churnRisk: 0.2, segment: 'champions' }),
      planningCustomer(2, { clv: 500, churnRisk: 0.7, segment: 'at_risk' }),
      planningCustomer(3, { clv: 5_000, churnRisk: 0.4, segment: 'hibernating' }),
    ];
    const ranked = rankCustomers(customers, 'win_back');
    const byId = new Map(ranked.map((r) => [r.customer.customerId, r]));
    for (const c of customers) {
      const r = byId.get(c.customerId)!;
      const expected =
        PRIORITY_WEIGHTS.clv * r.clvPercentile +
        PRIORITY_WEIGHTS.churn * c.churnRisk +
        PRIORITY_WEIGHTS.fit * segmentFit('win_back', c.segment);
      expect(r.priority).toBeCloseTo(expected, 4);
    }
    expect(ranked.map((r) => r.clvPercentile).sort()).toEqual([0, 0.5, 1]);
  });

  it('puts lapsed segments first for a win-back and engaged ones first for new arrivals', () => {
    const lapsed = planningCustomer(1, { segment: 'cant_lose', churnRisk: 0.7 });
    const engaged = planningCustomer(2, { segment: 'champions', churnRisk: 0.1, clv: lapsed.clv });
    expect(rankCustomers([engaged, lapsed], 'win_back')[0]!.customer.segment).toBe('cant_lose');
    expect(rankCustomers([lapsed, engaged], 'new_arrival')[0]!.customer.segment).toBe('champions');
  });

  it('treats a segment outside the table as a neutral fit', () => {
    expect(segmentFit('win_back', 'vip_wine_club')).toBe(UNKNOWN_SEGMENT_FIT);
    expect(segmentFit('custom', 'champions')).toBe(UNKNOWN_SEGMENT_FIT);
  });

  it('ranks a whale no higher by CLV than the next-richest customer would be by percentile', () => {
    const base = [1, 2, 3, 4].map((n) => planningCustomer(n, { clv: 100 + n, churnRisk: 0.5 }));
    const whale = planningCustomer(5, { clv: 1_000_000, churnRisk: 0.5 });
    const rich = planningCustomer(5, { clv: 105, churnRisk: 0.5 });
    const withWhale = rankCustomers([...base, whale], 'win_back')[0]!;
    const withRich = rankCustomers([...base, rich], 'win_back')[0]!;
    expect(withWhale.priority).toBe(withRich.priority);
  });

  it('orders equal priorities by customer id, whatever the input order', () => {
    const twins = [7, 3, 9, 1].map((n) => planningCustomer(n, { clv: 100 }));
    const ranked = rankCustomers(twins, 'holiday');
    expect(new Set(ranked.map((r) => r.priority)).size).toBe(1);
    expect(ranked.map((r) => r.customer.customerId)).toEqual([...twins.map((t) => t.customerId)].sort());
    expect(ranked.map((r) => r.rank)).toEqual([1, 2, 3, 4]);
  });

  it('gives the same ranking for a shuffled audience', () => {
    const { customers } = generatePlanningInput({ customers: 2_000, seed: 7 });
    const shuffled = [...customers].reverse();
    const a = rankCustomers(customers, 're_engagement').map((r) => [r.customer.customerId, r.priority]);
    const b = rankCustomers(shuffled, 're_engagement').map((r) => [r.customer.customerId, r.priority]);
    expect(b).toEqual(a);
    for (let i = 1; i < a.length; i++) expect(a[i]![1]).toBeLessThanOrEqual(a[i - 1]![1] as number);
  });

  it('selects the top N, 300 by default, and refuses sizes outside 1–100,000', () => {
    const { customers } = generatePlanningInput({ customers: 1_000, seed: 3 });
    const all = rankCustomers(customers, 'win_back');
    const audience = selectAudience(customers, 'win_back');
    expect(audience).toHaveLength(300);
    expect(audience.map((r) => r.customer.customerId)).toEqual(all.slice(0, 300).map((r) => r.customer.customerId));
    expect(selectAudience(customers, 'win_back', 10)).toHaveLength(10);
    expect(selectAudience(customers, 'win_back', 100_000)).toHaveLength(1_000);
    for (const size of [0, 100_001, 2.5]) {
      expect(() => selectAudience(customers, 'win_back', size)).toThrow(RangeError);
    }
  });
});
