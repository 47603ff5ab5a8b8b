/**
 * Log-gamma, digamma, log-Beta and hypergeometric series for the customer models. Everything
 * works in logs or in transformed series so that heavy buyers (hundreds of purchases) and long
 * histories neither overflow nor lose their digits to cancellation.
 */

const HALF_LOG_TWO_PI = 0.5 * Math.log(2 * Math.PI);

// Below this the asymptotic series is not accurate to double precision, so arguments are first
// shifted up with Γ(x+1) = x·Γ(x).
const ASYMPTOTIC_FROM = 10;

function requirePositive(name: string, x: number): void {
  if (!(x > 0)) throw new RangeError(`${name} needs a positive argument, got ${x}`);
}

/** log Γ(x) for x > 0, to about 1e-15 relative (1e-15 absolute near the roots at 1 and 2). */
export function logGamma(x: number): number {
  requirePositive('logGamma', x);
  if (x === Infinity) return Infinity;
  let product = 1;
  while (x < ASYMPTOTIC_FROM) {
    product *= x;
    x += 1;
  }
  const inv = 1 / x;
  const inv2 = inv * inv;
  // Stirling's series; the coefficients are B₂ₖ / (2k(2k−1)).
  const series =
    inv *
    (1 / 12 - inv2 * (1 / 360 - inv2 * (1 / 1260 - inv2 * (1 / 1680 - inv2 * (1 / 1188 - inv2 * (691 / 360360))))));
  return (x - 0.5) * Math.log(x) - x + HALF_LOG_TWO_PI + series - Math.log(product);
}

/** ψ(x) = d/dx log Γ(x) for x > 0, for the analytic likelihood gradients. */
export function digamma(x: number): number {
  requirePositive('digamma', x);
  let shift = 0;
  while (x < ASYMPTOTIC_FROM) {
    shift -= 1 / x;
    x += 1;
  }
  const inv2 = 1 / (x * x);
  // Σ B₂ₖ / (2k·x²ᵏ)
  const series =
    inv2 *
    (1 / 12 -
      inv2 * (1 / 120 - inv2 * (1 / 252 - inv2 * (1 / 240 - inv2 * (1 / 132 - inv2 * (691 / 32760 - inv2 / 12))))));
  return shift + Math.log(x) - 0.5 / x - series;
}

/** log B(a, b) = log Γ(a) + log Γ(b) − log Γ(a+b). */
export function logBeta(a: number, b: number): number {
  return logGamma(a) + logGamma(b) - logGamma(a + b);
}

// Enough for |z| ≤ 0.9999 at double precision; beyond that the caller's arguments are degenerate.
const MAX_SERIES_TERMS = 1_000_000;

/**
 * The series ₃F₂(a1, a2, a3; b1, b2; z) = Σₖ (a1)ₖ(a2)ₖ(a3)ₖ / ((b1)ₖ(b2)ₖ) · zᵏ/k! for |z| < 1,
 * summed until the terms are negligible; b1, b2 must not be non-positive integers. It ends early
 * when an upper parameter is a non-positive integer (the series is then a polynomial).
 */
export function hyp3f2(a1: number, a2: number, a3: number, b1: number, b2: number, z: number): number {
  if (!(Math.abs(z) < 1)) throw new RangeError(`hypergeometric series needs |z| < 1, got ${z}`);
  if ((b1 <= 0 && Number.isInteger(b1)) || (b2 <= 0 && Number.isInteger(b2))) {
    throw new RangeError(`a lower parameter is a non-positive integer (${b1}, ${b2})`);
  }
  // Past this k every Pochhammer factor is positive, so the term ratio tends to z from a fixed
  // side: a negligible term with a ratio below one then means a negligible tail.
  const positiveFrom = Math.ceil(-Math.min(0, a1, a2, a3, b1, b2));
  let term = 1;
  let sum = 1;
  for (let k = 0; k < MAX_SERIES_TERMS; k++) {
    term *= ((a1 + k) * (a2 + k) * (a3 + k) * z) / ((b1 + k) * (b2 + k) * (k + 1));
    sum += term;
    if (term === 0) return sum;
    if (k >= positiveFrom && Math.abs(term) <= 1e-17 * Math.abs(sum)) {
      const next = ((a1 + k + 1) * (a2 + k + 1) * (a3 + k + 1) * z) / ((b1 + k + 1) * (b2 + k + 1) * (k + 2));
      if (Math.abs(next) < 1) return sum;
    }
    if (!Number.isFinite(sum)) break;
  }
  throw new RangeError(`hypergeometric series did not converge (z = ${z}, parameters ${[a1, a2, a3, b1, b2]})`);
}

/**
 * Gauss's hypergeometric function ₂F₁(a, b; c; z) for |z| < 1. When c − a − b is negative the
 * plain series first grows by orders of magnitude (for a customer with 500 purchases, by ~10¹⁵⁰)
 * before it converges; Euler's transformation ₂F₁(a, b; c; z) = (1−z)^(c−a−b) ₂F₁(c−a, c−b; c; z)
 * moves that growth into one power and leaves a short, tame series.
 */
export function hyp2f1(a: number, b: number, c: number, z: number): number {
  if (z >= 0 && c - a - b < 0 && Math.abs((c - a) * (c - b)) < Math.abs(a * b)) {
    return Math.exp((c - a - b) * Math.log1p(-z)) * hyp3f2(c - a, c - b, 1, c, 1, z);
  }
  return hyp3f2(a, b, 1, c, 1, z);
}
