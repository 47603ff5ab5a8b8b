/**
 * The Gamma-Gamma spend model (Fader, Hardie & Lee 2005, JMR 42(4); Fader & Hardie 2013, "The
 * Gamma-Gamma Model of Monetary Value"): a customer's order values are Gamma(p, ν) with
 * ν ~ Gamma(q, γ) across customers. It is fitted on repeat buyers' mean paid repeat order value
 * m_x over their x paid repeat orders. The first order is left out, as in the CDNOW reference
 * (zbar), so x counts the same repeat purchases as in the purchase model.
 */
import type { FitOptions, FitResult } from './fit-result.ts';
import { ScoringInputError } from './history.ts';
import { CompensatedSum, minimise, type Objective } from './optimize.ts';
import { digamma, logGamma } from './special-functions.ts';
import type { WeightedSpend } from './weighted-rows.ts';

export interface GammaGammaParams {
  p: number;
  q: number;
  gamma: number;
}

export function checkGammaGammaParams(params: GammaGammaParams): void {
  for (const name of ['p', 'q', 'gamma'] as const) {
    const value = params[name];
    if (!(value > 0 && Number.isFinite(value))) {
      throw new ScoringInputError(`Gamma-Gamma parameter ${name} must be a positive number, got ${value}`);
    }
  }
  if (params.q <= 1) throw new ScoringInputError(`q must exceed 1 for a finite mean order value, got ${params.q}`);
}

/** The population's mean order value, pγ/(q−1): what a customer without paid repeats is expected to spend. */
export function meanOrderValue(params: GammaGammaParams): number {
  checkGammaGammaParams(params);
  return (params.p * params.gamma) / (params.q - 1);
}

/**
 * E[M | m_x, x]: the expected value of the customer's future orders, a weighted mean of the
 * population mean and their own m_x that leans on m_x the more paid repeat orders x there are:
 * (q−1)/(px+q−1) · pγ/(q−1) + px/(px+q−1) · m_x.
 */
export function expectedOrderValue(params: GammaGammaParams, x: number, meanSpend: number): number {
  checkGammaGammaParams(params);
  if (!(Number.isInteger(x) && x >= 0)) throw new ScoringInputError(`x must be a non-negative whole number, got ${x}`);
  if (!(Number.isFinite(meanSpend) && meanSpend >= 0)) {
    throw new ScoringInputError(`mean spend must be a non-negative amount, got ${meanSpend}`);
  }
  const { p, q, gamma } = params;
  // A zero mean means no paid repeat orders (zero-value orders are not paid): no own evidence.
  const own = meanSpend > 0 ? p * x : 0;
  return (p * gamma + own * meanSpend) / (own + q - 1);
}

/** log L(p, q, γ | m_x, x) for one repeat buyer. */
export function spendLogLikelihood(params: GammaGammaParams, x: number, meanSpend: number): number {
  if (!(Number.isInteger(x) && x > 0 && meanSpend > 0 && Number.isFinite(meanSpend))) {
    throw new ScoringInputError(`the spend likelihood needs x ≥ 1 paid repeat orders with a positive mean`);
  }
  const { p, q, gamma } = params;
  const px = p * x;
  return (
    logGamma(px + q) -
    logGamma(px) -
    logGamma(q) +
    q * Math.log(gamma) +
    (px - 1) * Math.log(meanSpend) +
    px * Math.log(x) -
    (px + q) * Math.log(gamma + x * meanSpend)
  );
}

export function fitGammaGamma(
  data: WeightedSpend,
  options: FitOptions<GammaGammaParams> = {},
): FitResult<GammaGammaParams> {
  const { customers, rows } = data;
  const fail = (reason: string, iterations = 0) => ({ converged: false as const, reason, iterations, customers, rows });
  if (customers < 2) return fail('fewer than two repeat buyers with paid repeat orders');
  let total = 0;
  for (let row = 0; row < rows; row++) total += data.weight[row]! * data.m[row]!;
  const mean = total / customers;
  if (options.start) checkGammaGammaParams(options.start);
  // p = 1, q = 2 and γ = the mean repeat spend put the model's mean order value on the data's.
  const start = options.start ?? { p: 1, q: 2, gamma: mean };
  const result = minimise(gammaGammaObjective(data), [start.p, start.q, start.gamma].map(Math.log), {
    maxIterations: options.maxIterations,
    names: ['log p', 'log q', 'log γ'],
  });
  if (!result.converged) return fail(`Gamma-Gamma fit: ${result.reason}`, result.iterations);
  const [p, q, gamma] = Array.from(result.theta, Math.exp) as [number, number, number];
  if (q <= 1) {
    return fail(`Gamma-Gamma fit: q = ${q.toPrecision(4)} ≤ 1 means an infinite mean order value`, result.iterations);
  }
  return {
    converged: true,
    params: { p, q, gamma },
    logLikelihood: -result.value * customers,
    iterations: result.iterations,
    customers,
    rows,
  };
}

/** −(mean log-likelihood) over θ = log(p, q, γ) and its gradient; x-only terms once per distinct x. */
export function gammaGammaObjective(data: WeightedSpend): Objective {
  const { xValues, xIndex, m, weight, rows, customers } = data;
  const logM = Float64Array.from(m, Math.log);
  const logX = Float64Array.from(xValues, Math.log);
  const xWeight = new Float64Array(xValues.length);
  const spent = new Float64Array(rows);
  // Σ w·x·(log m + log x), Σ w·log m and Σ w·x·log x do not depend on the parameters.
  let weightedXLogMX = 0;
  let weightedLogM = 0;
  for (let row = 0; row < rows; row++) {
    const xi = xIndex[row]!;
    const w = weight[row]!;
    const x = xValues[xi]!;
    xWeight[xi]! += w;
    spent[row] = x * m[row]!;
    weightedXLogMX += w * x * (logM[row]! + logX[xi]!);
    weightedLogM += w * logM[row]!;
  }
  const perX = new Float64Array(xValues.length);

  return (theta, gradient) => {
    const p = Math.exp(theta[0]!);
    const q = Math.exp(theta[1]!);
    const gamma = Math.exp(theta[2]!);
    const logGammaQ = logGamma(q);
    const psiQ = digamma(q);
    const logG = Math.log(gamma);
    const logLikelihood = new CompensatedSum();
    logLikelihood.add(p * weightedXLogMX - weightedLogM);
    let dP = weightedXLogMX;
    let dQ = 0;
    let dGamma = 0;
    for (let i = 0; i < xValues.length; i++) {
      const x = xValues[i]!;
      const w = xWeight[i]!;
      const px = p * x;
      const psiPXQ = digamma(px + q);
      perX[i] = px + q;
      logLikelihood.add(w * (logGamma(px + q) - logGamma(px) - logGammaQ + q * logG));
      dP += w * x * (psiPXQ - digamma(px));
      dQ += w * (psiPXQ - psiQ + logG);
      dGamma += (w * q) / gamma;
    }
    for (let row = 0; row < rows; row++) {
      const w = weight[row]!;
      const xi = xIndex[row]!;
      const shape = perX[xi]!;
      const total = gamma + spent[row]!;
      const logTotal = Math.log(total);
      logLikelihood.add(-w * shape * logTotal);
      dP -= w * xValues[xi]! * logTotal;
      dQ -= w * logTotal;
      dGamma -= (w * shape) / total;
    }
    gradient[0] = (-p * dP) / customers;
    gradient[1] = (-q * dQ) / customers;
    gradient[2] = (-gamma * dGamma) / customers;
    return -logLikelihood.value / customers;
  };
}
