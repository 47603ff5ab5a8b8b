/**
 * The BG/NBD purchase model (Fader, Hardie & Lee 2005, "Counting your customers the easy way",
 * Marketing Science 24(2)): while alive a customer buys as a Poisson process with rate
 * λ ~ Gamma(r, α); after each repeat purchase they drop out with probability p ~ Beta(a, b).
 * Times are in the model's unit (see ModelTimeUnit); α is in the same unit.
 */
import { checkHistory, ScoringInputError, type PurchaseHistory } from './history.ts';
import { hyp3f2, logBeta, logGamma } from './special-functions.ts';

export interface BgNbdParams {
  r: number;
  alpha: number;
  a: number;
  b: number;
}

export function checkBgNbdParams(params: BgNbdParams): void {
  for (const name of ['r', 'alpha', 'a', 'b'] as const) {
    const value = params[name];
    if (!(value > 0 && Number.isFinite(value))) {
      throw new ScoringInputError(`BG/NBD parameter ${name} must be a positive number, got ${value}`);
    }
  }
}

/**
 * log of a/(b+x−1) · ((α+T)/(α+t_x))^(r+x): the odds that the customer dropped out after their
 * last purchase, against being alive. −Infinity when x = 0 (nobody drops out before buying again).
 */
function logDropoutOdds({ r, alpha, a, b }: BgNbdParams, { x, tx, T }: PurchaseHistory): number {
  if (x === 0) return -Infinity;
  return Math.log(a) - Math.log(b + x - 1) + (r + x) * Math.log1p((T - tx) / (alpha + tx));
}

/**
 * P(alive | x, t_x, T). Exactly 1 for customers without a repeat purchase: in BG/NBD a customer
 * can only drop out right after a repeat purchase, so one-time buyers never look lapsed.
 */
export function probabilityAlive(params: BgNbdParams, history: PurchaseHistory): number {
  checkBgNbdParams(params);
  checkHistory(history);
  return 1 / (1 + Math.exp(logDropoutOdds(params, history)));
}

/**
 * E[Y(t) | x, t_x, T]: expected purchases in the next t time units (paper eq. 10),
 *   (a+b+x−1)/(a−1) · [1 − ((α+T)/(α+T+t))^(r+x) ₂F₁(r+x, b+x; a+b+x−1; z)] · P(alive),
 *   z = t/(α+T+t).
 * Evaluated after Euler's transformation, (1−z)^(r+x) ₂F₁(r+x, b+x; c; z) = (1−z)^(a−1)
 * ₂F₁(a+b−1−r, a−1; c; z), whose parameters do not grow with x, and with the factor a−1 taken
 * out of the series (₂F₁(A, a−1; C; z) = 1 + (a−1)·(Az/C)·₃F₂(A+1, a, 1; C+1, 2; z)), so the
 * removable singularity at a = 1 costs no precision.
 */
export function expectedPurchases(params: BgNbdParams, history: PurchaseHistory, t: number): number {
  return expectedPurchasesCurve(params, history, [t])[0]!;
}

/** E[Y(t) | x, t_x, T] at several horizons, checking the inputs once. */
export function expectedPurchasesCurve(
  params: BgNbdParams,
  history: PurchaseHistory,
  horizons: readonly number[],
): number[] {
  checkBgNbdParams(params);
  checkHistory(history);
  const alive = 1 / (1 + Math.exp(logDropoutOdds(params, history)));
  return horizons.map((t) => {
    if (!(t >= 0 && Number.isFinite(t))) {
      throw new ScoringInputError(`the horizon must be a non-negative time, got ${t}`);
    }
    return t === 0 ? 0 : alive * expectedPurchasesIfAlive(params, history, t);
  });
}

function expectedPurchasesIfAlive({ r, alpha, a, b }: BgNbdParams, { x, T }: PurchaseHistory, t: number): number {
  const logOneMinusZ = -Math.log1p(t / (alpha + T));
  const z = t / (alpha + T + t);
  const A = a + b - 1 - r;
  const C = a + b + x - 1;
  const epsilon = a - 1;
  const lead = epsilon === 0 ? -logOneMinusZ : -Math.expm1(epsilon * logOneMinusZ) / epsilon;
  const series = hyp3f2(A + 1, a, 1, C + 1, 2, z);
  return C * lead - Math.exp(epsilon * logOneMinusZ) * A * z * series;
}

/** E[X(t)]: expected repeat purchases of a customer t time units after their first purchase. */
export function expectedPurchasesOfNewCustomer(params: BgNbdParams, t: number): number {
  return expectedPurchases(params, { x: 0, tx: 0, T: 0 }, t);
}

/**
 * P(X(t) = n): the probability of exactly n repeat purchases in the first t time units after
 * the first purchase (Fader, Hardie & Lee 2005).
 */
export function purchaseCountProbability(params: BgNbdParams, t: number, n: number): number {
  checkBgNbdParams(params);
  if (!(t >= 0 && Number.isFinite(t))) throw new ScoringInputError(`t must be a non-negative time, got ${t}`);
  if (!(Number.isInteger(n) && n >= 0)) throw new ScoringInputError(`n must be a non-negative whole number, got ${n}`);
  if (t === 0) return n === 0 ? 1 : 0;
  const { r, alpha, a, b } = params;
  const logStay = Math.log(alpha / (alpha + t));
  const logBuy = Math.log(t / (alpha + t));
  const logNegBin = (j: number) => logGamma(r + j) - logGamma(r) - logGamma(j + 1) + r * logStay + j * logBuy;
  const aliveThroughout = Math.exp(logBeta(a, b + n) - logBeta(a, b) + logNegBin(n));
  if (n === 0) return aliveThroughout;
  return aliveThroughout + Math.exp(logBeta(a + 1, b + n - 1) - logBeta(a, b)) * negBinTail(n, r, logNegBin, logBuy);
}

/** P(N ≥ n) for N ~ NegBin(r, α/(α+t)), summed on the side that avoids cancellation. */
function negBinTail(n: number, r: number, logNegBin: (j: number) => number, logBuy: number): number {
  const buy = Math.exp(logBuy);
  let below = 0;
  let term = Math.exp(logNegBin(0));
  for (let j = 0; j < n; j++) {
    below += term;
    term *= ((r + j) / (j + 1)) * buy;
  }
  if (below < 0.5) return 1 - below;
  let tail = 0;
  term = Math.exp(logNegBin(n));
  for (let j = n; term > 1e-17 * tail || (r + j) * buy > j + 1; j++) {
    tail += term;
    term *= ((r + j) / (j + 1)) * buy;
    if (!(term > 0)) break;
  }
  return tail;
}

/** log L(r, α, a, b | x, t_x, T) for one customer: the paper's likelihood. */
export function customerLogLikelihood(params: BgNbdParams, history: PurchaseHistory): number {
  checkBgNbdParams(params);
  checkHistory(history);
  const { r, alpha, a, b } = params;
  const { x, tx, T } = history;
  const common = logGamma(r + x) - logGamma(r) + r * Math.log(alpha) + logBeta(a, b + x) - logBeta(a, b);
  const alive = -(r + x) * Math.log(alpha + T);
  if (x === 0) return common + alive;
  const dropped = Math.log(a) - Math.log(b + x - 1) - (r + x) * Math.log(alpha + tx);
  return common + Math.max(alive, dropped) + Math.log1p(Math.exp(-Math.abs(alive - dropped)));
}
