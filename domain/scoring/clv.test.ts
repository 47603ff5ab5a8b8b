import { describe, expect, it } from 'vitest';
import { expectedPurchases, type BgNbdParams } from './bgnbd.ts';
import { customerLifetimeValue, UNITS_PER_MONTH } from './clv.ts';
import { ScoringInputError } from './history.ts';

const weekly: BgNbdParams = { r: 0.243, alpha: 4.414, a: 0.793, b: 2.426 };
// The same model in days: rates per day are a seventh, so α (a time scale) is seven times larger.
const daily: BgNbdParams = { ...weekly, alpha: weekly.alpha * 7 };
const inWeeks = { x: 4, tx: 30, T: 38 };
const inDays = { x: 4, tx: 30 * 7, T: 38 * 7 };

describe('customerLifetimeValue', () => {
  it('is the order value times the expected purchases when nothing is discounted', () => {
    const value = customerLifetimeValue(weekly, inWeeks, 40, { unit: 'weeks', monthlyDiscountRate: 0 });
    expect(value).toBeCloseTo(40 * expectedPurchases(weekly, inWeeks, 12 * UNITS_PER_MONTH.weeks), 10);
  });

  it('is worth less the higher the discount rate and more the longer the horizon', () => {
    const at = (monthlyDiscountRate: number, horizonMonths = 12) =>
      customerLifetimeValue(weekly, inWeeks, 40, { unit: 'weeks', monthlyDiscountRate, horizonMonths });
    expect(at(0)).toBeGreaterThan(at(0.01));
    expect(at(0.01)).toBeGreaterThan(at(0.05));
    expect(at(0.01, 24)).toBeGreaterThan(at(0.01, 12));
  });

  it('discounts month k by (1 + d)^k', () => {
    const oneMonth = customerLifetimeValue(weekly, inWeeks, 40, {
      unit: 'weeks',
      horizonMonths: 1,
      monthlyDiscountRate: 0.1,
    });
    expect(oneMonth).toBeCloseTo((40 * expectedPurchases(weekly, inWeeks, UNITS_PER_MONTH.weeks)) / 1.1, 10);
  });

  it('values a customer the same whether the model counts days or weeks', () => {
    const days = customerLifetimeValue(daily, inDays, 40, { unit: 'days' });
    const weeks = customerLifetimeValue(weekly, inWeeks, 40, {
      unit: 'weeks',
      unitsPerMonth: UNITS_PER_MONTH.days / 7,
    });
    expect(weeks).toBeCloseTo(days, 9);
    // With the conventional 4.345 weeks a month the two differ by the 0.07% between the months.
    const conventional = customerLifetimeValue(weekly, inWeeks, 40, { unit: 'weeks' });
    expect(Math.abs(conventional / days - 1)).toBeLessThan(1e-3);
  });

  it('uses the mean Gregorian month for days', () => {
    expect(UNITS_PER_MONTH.days).toBe(30.4375);
    expect(UNITS_PER_MONTH.weeks).toBe(4.345);
  });

  it('rejects horizons, rates and order values that mean nothing', () => {
    const bad = [
      { unit: 'weeks', horizonMonths: 0 },
      { unit: 'weeks', horizonMonths: 1.5 },
      { unit: 'weeks', monthlyDiscountRate: -1 },
      { unit: 'weeks', unitsPerMonth: 0 },
    ] as const;
    for (const options of bad)
      expect(() => customerLifetimeValue(weekly, inWeeks, 40, options)).toThrow(ScoringInputError);
    expect(() => customerLifetimeValue(weekly, inWeeks, -1, { unit: 'weeks' })).toThrow(ScoringInputError);
  });
});
