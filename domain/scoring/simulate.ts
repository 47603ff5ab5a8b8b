/**
 * Customer bases drawn from known model parameters, for checking that the fits recover them and
 * for benchmarks. Deterministic given the random source, which is injected so that one seeded
 * generator serves the whole project.
 */
import type { BgNbdParams } from './bgnbd.ts';
import type { GammaGammaParams } from './gamma-gamma.ts';

export interface ModelRandom {
  /** Gamma with the given shape and rate (mean shape / rate). */
  gamma(shape: number, rate: number): number;
  beta(a: number, b: number): number;
  /** Exponential waiting time with the given rate. */
  exponential(rate: number): number;
  /** Uniform on [0, 1). */
  next(): number;
}

export interface SimulatedHistories {
  x: Float64Array;
  tx: Float64Array;
  T: Float64Array;
}

/**
 * One customer per observation length T: purchase rate λ ~ Gamma(r, α), dropout probability
 * p ~ Beta(a, b); after the first purchase at time 0, repeat purchases arrive at rate λ and
 * after each one the customer drops out with probability p. Times are exact (not on a grid).
 */
export function simulateHistories(params: BgNbdParams, T: ArrayLike<number>, random: ModelRandom): SimulatedHistories {
  const n = T.length;
  const out: SimulatedHistories = { x: new Float64Array(n), tx: new Float64Array(n), T: Float64Array.from(T) };
  for (let i = 0; i < n; i++) {
    const rate = random.gamma(params.r, params.alpha);
    const dropout = random.beta(params.a, params.b);
    const end = out.T[i]!;
    let x = 0;
    let last = 0;
    for (let t = random.exponential(rate); t <= end; t += random.exponential(rate)) {
      x++;
      last = t;
      if (random.next() < dropout) break;
    }
    out.x[i] = x;
    out.tx[i] = last;
  }
  return out;
}

/**
 * Mean spend over each customer's x repeat orders: ν ~ Gamma(q, γ) per customer, orders
 * ~ Gamma(p, ν), so their mean is Gamma(p·x, x·ν). 0 for customers without repeat orders.
 */
export function simulateRepeatSpend(params: GammaGammaParams, x: ArrayLike<number>, random: ModelRandom): Float64Array {
  const m = new Float64Array(x.length);
  for (let i = 0; i < x.length; i++) {
    const orders = x[i]!;
    if (orders > 0) m[i] = random.gamma(params.p * orders, orders * random.gamma(params.q, params.gamma));
  }
  return m;
}
