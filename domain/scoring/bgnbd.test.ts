import { describe, expect, it } from 'vitest';
import {
  customerLogLikelihood,
  expectedPurchases,
  expectedPurchasesCurve,
  expectedPurchasesOfNewCustomer,
  probabilityAlive,
  purchaseCountProbability,
  type BgNbdParams,
} from './bgnbd.ts';
import { ScoringInputError } from './history.ts';
import { hyp3f2 } from './special-functions.ts';

const weekly: BgNbdParams = { r: 0.243, alpha: 4.414, a: 0.793, b: 2.426 };

/** Paper eq. 10 as printed, with the plain ₂F₁ series: the definition the stable form must match. */
function equation10({ r, alpha, a, b }: BgNbdParams, x: number, tx: number, T: number, t: number): number {
  const z = t / (alpha + T + t);
  const f = hyp3f2(r + x, b + x, 1, a + b + x - 1, 1, z);
  const bracket = 1 - ((alpha + T) / (alpha + T + t)) ** (r + x) * f;
  const odds = x > 0 ? (a / (b + x - 1)) * ((alpha + T) / (alpha + tx)) ** (r + x) : 0;
  return (((a + b + x - 1) / (a - 1)) * bracket) / (1 + odds);
}

describe('BG/NBD expected purchases', () => {
  it('equal paper eq. 10 evaluated as printed', () => {
    for (const [x, tx, T, t] of [
      [0, 0, 38.86, 39],
      [2, 30.43, 38.86, 39],
      [7, 29.43, 38.86, 10],
      [1, 0.5, 60, 52],
      [25, 70, 78, 4.345],
    ] as const) {
      const expected = equation10(weekly, x, tx, T, t);
      expect(Math.abs(expectedPurchases(weekly, { x, tx, T }, t) - expected)).toBeLessThan(
        1e-12 * Math.max(1, expected),
      );
    }
  });

  it('have no singularity at a = 1, where eq. 10 is 0/0', () => {
    const history = { x: 3, tx: 20, T: 30 };
    const at = (a: number) => expectedPurchases({ ...weekly, a }, history, 26);
    expect(Number.isFinite(at(1))).toBe(true);
    expect(at(1)).toBeCloseTo(at(1 + 1e-9), 8);
    expect(at(1)).toBeCloseTo(at(1 - 1e-9), 8);
    expect(at(1 + 1e-3)).toBeCloseTo(equation10({ ...weekly, a: 1 + 1e-3 }, 3, 20, 30, 26), 8);
  });

  it('stay finite and sensible for a customer with 500 purchases and with 5,000', () => {
    // 500 purchases in 1,000 days: the direct series grows to ~10¹⁵⁰ but stays summable.
    const days: BgNbdParams = { r: 0.243, alpha: 30.9, a: 0.793, b: 2.426 };
    const heavy = { x: 500, tx: 999, T: 1000 };
    const direct = equation10(days, 500, 999, 1000, 1000);
    expect(expectedPurchases(days, heavy, 1000) / direct).toBeCloseTo(1, 9);
    // With 5,000 purchases the rate is known to be about (r+x)/(α+T) ≈ 4.85 a day and dropout
    // after any one purchase has odds of about a/(b+x), so the next day holds ~4.85 purchases.
    const heavier = expectedPurchases(days, { x: 5000, tx: 999.9, T: 1000 }, 1);
    expect(heavier).toBeGreaterThan(4.7);
    expect(heavier).toBeLessThan(4.9);
  });

  it('stay finite over very long histories', () => {
    const long = expectedPurchases(weekly, { x: 3, tx: 1e6, T: 1e6 + 10 }, 52);
    expect(long).toBeGreaterThan(0);
    expect(long).toBeLessThan(1e-3);
  });

  it('grow with the horizon, from 0 at horizon 0', () => {
    const curve = expectedPurchasesCurve(weekly, { x: 2, tx: 30.43, T: 38.86 }, [0, 1, 4, 13, 52, 520]);
    expect(curve[0]).toBe(0);
    for (let i = 1; i < curve.length; i++) expect(curve[i]!).toBeGreaterThan(curve[i - 1]!);
  });

  it('for a new customer equal Σ n·P(X(t) = n)', () => {
    for (const t of [1, 13, 39]) {
      let mean = 0;
      for (let n = 1; n <= 400; n++) mean += n * purchaseCountProbability(weekly, t, n);
      expect(mean).toBeCloseTo(expectedPurchasesOfNewCustomer(weekly, t), 8);
    }
  });
});

describe('BG/NBD P(alive)', () => {
  it('is 1 without repeat purchases, however long ago the first one was', () => {
    for (const T of [0, 5, 500]) expect(probabilityAlive(weekly, { x: 0, tx: 0, T })).toBe(1);
  });

  it('falls the longer a repeat buyer has been silent, and the more they used to buy', () => {
    const silentFor = (gap: number, x = 3) => probabilityAlive(weekly, { x, tx: 20, T: 20 + gap });
    expect(silentFor(0)).toBeGreaterThan(silentFor(10));
    expect(silentFor(10)).toBeGreaterThan(silentFor(30));
    expect(silentFor(10, 10)).toBeLessThan(silentFor(10, 2));
  });

  it('goes to 0 without overflowing for a heavy buyer who stopped long ago', () => {
    expect(probabilityAlive(weekly, { x: 500, tx: 10, T: 1e5 })).toBe(0);
  });
});

describe('BG/NBD purchase count distribution', () => {
  it('sums to 1', () => {
    for (const t of [0.5, 39, 200]) {
      let total = 0;
      for (let n = 0; n <= 2000; n++) total += purchaseCountProbability(weekly, t, n);
      expect(total).toBeCloseTo(1, 10);
    }
  });

  it('puts everything on 0 purchases at t = 0', () => {
    expect(purchaseCountProbability(weekly, 0, 0)).toBe(1);
    expect(purchaseCountProbability(weekly, 0, 3)).toBe(0);
  });
});

describe('BG/NBD likelihood', () => {
  it('matches the integral it comes from for a one-time buyer: E[(α/(α+T))^r]', () => {
    expect(customerLogLikelihood(weekly, { x: 0, tx: 0, T: 10 })).toBeCloseTo(
      weekly.r * Math.log(weekly.alpha / (weekly.alpha + 10)),
      14,
    );
  });
});

describe('BG/NBD input checks', () => {
  it('reject histories that cannot happen', () => {
    const bad = [
      { x: -1, tx: 0, T: 1 },
      { x: 1.5, tx: 1, T: 2 },
      { x: 2, tx: 5, T: 4 },
      { x: 0, tx: 1, T: 2 },
      { x: 1, tx: -1, T: 2 },
      { x: 1, tx: 1, T: NaN },
    ];
    for (const history of bad) expect(() => probabilityAlive(weekly, history)).toThrow(ScoringInputError);
    expect(() => expectedPurchases(weekly, { x: 2, tx: 5, T: 4 }, 1)).toThrow(
      /after the end of the observation window/,
    );
  });

  it('reject parameters and horizons that are not positive numbers', () => {
    expect(() => probabilityAlive({ ...weekly, a: 0 }, { x: 1, tx: 1, T: 2 })).toThrow(ScoringInputError);
    expect(() => expectedPurchases(weekly, { x: 1, tx: 1, T: 2 }, -1)).toThrow(ScoringInputError);
    expect(() => purchaseCountProbability(weekly, 1, 0.5)).toThrow(ScoringInputError);
  });
});
