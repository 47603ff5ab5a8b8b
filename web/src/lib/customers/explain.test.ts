import { describe, expect, it } from 'vitest';
import { explainScores, type CustomerScores } from './explain.ts';

const scores = (
  over: Partial<CustomerScores['inputs']> = {},
  out: Partial<CustomerScores['outputs']> = {},
): CustomerScores => ({
  segment: { key: 'at_risk', name: 'At risk' },
  rfm: { r: 2, f: 4, m: 5 },
  inputs: {
    timeUnit: 'days',
    x: 5,
    t_x: 300,
    T: 420,
    meanRepeatSpend: 80,
    orderCount: 6,
    totalSpent: 520,
    avgOrderValue: 86.67,
    firstOrderAt: '2025-09-01',
    lastOrderAt: '2026-07-01',
    nightShare: 0.5,
    ...over,
  },
  outputs: {
    pAlive: 0.4,
    churnRisk: 0.6,
    churnBand: 'high',
    expectedPurchases: 1.234,
    expectedSpend: 78.5,
    clv: 96.87,
    isNightBuyer: true,
    primaryCategory: 'whisky',
    predictedNextPurchaseOn: null,
    ...out,
  },
  models: [],
  scoredAt: '2026-11-27T00:00:00Z',
});

describe('score explanations', () => {
  it('explains churn from the repeat purchases and the time since the last one', () => {
    const e = explainScores(scores());
    expect(e.churn).toContain('5 repeat purchases');
    expect(e.churn).toContain('120 days ago');
    expect(e.churn).toMatch(/60\s?%.*\(high\)/);
    expect(e.rfm).toContain('Recency 2, frequency 4, monetary 5');
    expect(e.clv).toContain('1.23 more purchases');
    expect(e.night).toContain('night buyer');
  });

  it('says a one-time buyer’s low risk means "not known yet"', () => {
    expect(explainScores(scores({ x: 0 })).churn).toMatch(/cannot tell yet/);
  });
});
