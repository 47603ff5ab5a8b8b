import { describe, expect, it } from 'vitest';
import { liftOf, revenueVariance, type GroupSummary } from './lift.ts';

const group = (revenues: number[]): GroupSummary => ({
  customers: revenues.length,
  converters: revenues.filter((r) => r > 0).length,
  revenue: revenues.reduce((a, b) => a + b, 0),
  revenueSquares: revenues.reduce((a, b) => a + b * b, 0),
});

describe('incremental lift', () => {
  // Worked by hand: treated revenues 0, 10, 20, 30; holdout 0, 0, 15.
  //   means 15 and 5; sample variances (1400 − 4·15²)/3 = 166.67 and (225 − 3·5²)/2 = 75;
  //   Welch SE √(166.67/4 + 75/3) = √66.667 = 8.1650; 95 % CI 10 ± 1.96·8.1650 = [−6.0030, 26.0030];
  //   df = 66.667² / ((41.667²)/3 + 25²/2) = 4.9870.
  //   Conversion 3/4 against 1/3: SE √(0.75·0.25/4 + (1/3)(2/3)/3) = 0.34778;
  //   CI 0.41667 ± 1.96·0.34778 = [−0.26496, 1.09829].
  const result = liftOf(group([0, 10, 20, 30]), group([0, 0, 15]));

  it('gives the difference in revenue per customer with a Welch interval', () => {
    expect(result.treated.revenuePerCustomer).toBe(15);
    expect(result.holdout.revenuePerCustomer).toBe(5);
    const r = result.revenuePerCustomerLift;
    expect(r.estimate).toBe(10);
    expect(r.standardError).toBeCloseTo(8.16497, 4);
    expect(r.low).toBeCloseTo(-6.00304, 4);
    expect(r.high).toBeCloseTo(26.00304, 4);
    expect(r.degreesOfFreedom).toBeCloseTo(4.987, 3);
    expect(r.relative).toBe(2);
  });

  it('gives the difference in conversion with a two-proportion interval', () => {
    const c = result.conversionLift;
    expect(c.estimate).toBeCloseTo(5 / 12, 10);
    expect(c.standardError).toBeCloseTo(0.347778, 5);
    expect(c.low).toBeCloseTo(-0.26496, 4);
    expect(c.high).toBeCloseTo(1.09829, 4);
    expect(c.relative).toBeCloseTo(1.25, 10);
  });

  it('scales the per-customer lift to the treated group for the revenue the campaign caused', () => {
    expect(result.incrementalRevenue.estimate).toBe(40);
    expect(result.incrementalRevenue.standardError).toBeCloseTo(4 * 8.16497, 3);
  });

  it('has no interval for a group too small to have a variance, and no relative lift over zero', () => {
    const r = liftOf(group([10, 0]), group([0]));
    expect(revenueVariance(group([0]))).toBeNull();
    expect(r.revenuePerCustomerLift).toMatchObject({ estimate: 5, low: null, high: null, relative: null });
    expect(r.conversionLift).toMatchObject({ estimate: 0.5, standardError: null, relative: null });
  });
});
