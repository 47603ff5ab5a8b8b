import { describe, expect, it } from 'vitest';
import { digamma, hyp2f1, hyp3f2, logBeta, logGamma } from './special-functions.ts';

const EULER_GAMMA = 0.5772156649015329;

function relativeError(actual: number, expected: number): number {
  return Math.abs(actual - expected) / Math.max(1, Math.abs(expected));
}

describe('logGamma', () => {
  it('matches closed forms', () => {
    expect(logGamma(1)).toBeCloseTo(0, 14);
    expect(logGamma(2)).toBeCloseTo(0, 14);
    expect(logGamma(0.5)).toBeCloseTo(0.5 * Math.log(Math.PI), 14);
    expect(logGamma(3.5)).toBeCloseTo(Math.log((15 * Math.sqrt(Math.PI)) / 8), 14);
    expect(logGamma(10)).toBeCloseTo(Math.log(362880), 13);
  });

  it('is exact enough for heavy buyers: log Γ(501) = log 500!', () => {
    let logFactorial = 0;
    for (let k = 2; k <= 500; k++) logFactorial += Math.log(k);
    expect(relativeError(logGamma(501), logFactorial)).toBeLessThan(1e-14);
  });

  it('keeps Γ(x+1) = x·Γ(x) from tiny to huge arguments', () => {
    for (const x of [1e-8, 0.001, 0.243, 0.793, 1.5, 7.25, 9.999, 10, 123.4, 5e4, 1e6, 1e9]) {
      expect(Math.abs(logGamma(x + 1) - logGamma(x) - Math.log(x))).toBeLessThan(1e-14 * Math.max(1, logGamma(x + 1)));
    }
  });

  it('behaves like −log x − γx near zero', () => {
    expect(logGamma(1e-10)).toBeCloseTo(-Math.log(1e-10) - EULER_GAMMA * 1e-10, 12);
  });

  it('rejects arguments outside (0, ∞)', () => {
    for (const x of [0, -1, -0.5, NaN]) expect(() => logGamma(x)).toThrow(RangeError);
  });
});

describe('digamma', () => {
  it('matches closed forms', () => {
    expect(digamma(1)).toBeCloseTo(-EULER_GAMMA, 14);
    expect(digamma(0.5)).toBeCloseTo(-EULER_GAMMA - 2 * Math.log(2), 14);
  });

  it('is the derivative of logGamma', () => {
    for (const x of [0.05, 0.243, 1.7, 9.5, 42, 3000]) {
      const h = 1e-5 * x;
      const numeric = (logGamma(x + h) - logGamma(x - h)) / (2 * h);
      expect(digamma(x)).toBeCloseTo(numeric, 6);
    }
  });

  it('keeps ψ(x+1) = ψ(x) + 1/x', () => {
    for (const x of [0.01, 0.7, 9.9, 10, 250]) expect(digamma(x + 1) - digamma(x)).toBeCloseTo(1 / x, 12);
  });
});

describe('logBeta', () => {
  it('is log of Γ(a)Γ(b)/Γ(a+b)', () => {
    expect(logBeta(1, 1)).toBeCloseTo(0, 14);
    expect(logBeta(2, 3)).toBeCloseTo(Math.log(1 / 12), 14);
    expect(logBeta(0.5, 0.5)).toBeCloseTo(Math.log(Math.PI), 14);
  });
});

describe('hypergeometric functions', () => {
  it('match closed forms of ₂F₁', () => {
    for (const z of [-0.9, -0.3, 0.1, 0.5, 0.9]) {
      expect(hyp2f1(1, 1, 2, z)).toBeCloseTo(-Math.log1p(-z) / z, 13);
      expect(hyp2f1(0.5, 0.5, 1.5, z * z)).toBeCloseTo(Math.asin(z) / z, 13);
      expect(relativeError(hyp2f1(2.5, 3, 3, z), (1 - z) ** -2.5)).toBeLessThan(1e-13);
    }
  });

  it('end a terminating series exactly: ₂F₁(−3, b; c; z) is a cubic', () => {
    const [b, c, z] = [2.5, 1.5, 0.7];
    const cubic =
      1 -
      (3 * b * z) / c +
      (3 * b * (b + 1) * z ** 2) / (c * (c + 1)) -
      (b * (b + 1) * (b + 2) * z ** 3) / (c * (c + 1) * (c + 2));
    expect(hyp2f1(-3, b, c, z)).toBeCloseTo(cubic, 14);
  });

  it('stay accurate for a customer with 500 purchases, where the plain series grows to ~10¹⁵⁰', () => {
    // eq. 10's ₂F₁(r+x, b+x; a+b+x−1; z) at x = 500 with CDNOW-like parameters.
    const [r, a, b, x, z] = [0.243, 0.793, 2.426, 500, 0.5];
    const [p1, p2, q1] = [r + x, b + x, a + b + x - 1];
    const viaEuler = hyp2f1(p1, p2, q1, z);
    // Every term of the plain series is positive, so summing it directly is slow but exact.
    const plain = hyp3f2(p1, p2, 1, q1, 1, z);
    expect(plain).toBeGreaterThan(1e150);
    expect(Math.abs(viaEuler - plain) / plain).toBeLessThan(1e-12);
  });

  it('agree with the ₂F₁ special case of ₃F₂', () => {
    expect(hyp3f2(0.7, 1.3, 2, 2.4, 2, 0.6)).toBeCloseTo(hyp2f1(0.7, 1.3, 2.4, 0.6), 14);
  });

  it('refuse arguments where the series diverges or is undefined', () => {
    expect(() => hyp2f1(1, 1, 2, 1)).toThrow(RangeError);
    expect(() => hyp2f1(1, 1, 2, -1.5)).toThrow(RangeError);
    expect(() => hyp2f1(1, 1, -2, 0.5)).toThrow(RangeError);
  });
});
