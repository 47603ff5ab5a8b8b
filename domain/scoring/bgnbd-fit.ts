/**
 * Maximum-likelihood fit of BG/NBD on a whole customer base, on weighted rows (see
 * weighted-rows.ts) and log-parameters, with the analytic gradient of the paper's likelihood.
 * A fit that fails says so in its result and never throws; the caller keeps the parameters it had.
 */
import { checkBgNbdParams, type BgNbdParams } from './bgnbd.ts';
import type { FitOptions, FitResult } from './fit-result.ts';
import { CompensatedSum, minimise, type Objective } from './optimize.ts';
import { digamma, logGamma } from './special-functions.ts';
import type { WeightedHistories } from './weighted-rows.ts';

export function fitBgNbd(data: WeightedHistories, options: FitOptions<BgNbdParams> = {}): FitResult<BgNbdParams> {
  const { customers, rows } = data;
  const fail = (reason: string, iterations = 0) => ({ converged: false as const, reason, iterations, customers, rows });
  if (customers === 0) return fail('there are no customers to fit');
  let repeatPurchases = 0;
  let observedTime = 0;
  for (let row = 0; row < rows; row++) {
    const w = data.weight[row]!;
    repeatPurchases += w * data.xValues[data.xIndex[row]!]!;
    observedTime += w * data.times[data.TIndex[row]!]!;
  }
  if (repeatPurchases === 0) return fail('no customer has a repeat purchase, so the dropout rate cannot be estimated');
  if (observedTime === 0) return fail('every customer was first seen at the end of the window');

  if (options.start) checkBgNbdParams(options.start);
  // r = 1 with α matching the observed repeat rate: a mean rate in the right units is what
  // matters for the first steps; the search finds the shape.
  const start = options.start ?? { r: 1, alpha: observedTime / repeatPurchases, a: 1, b: 1 };
  const result = minimise(bgNbdObjective(data), [start.r, start.alpha, start.a, start.b].map(Math.log), {
    maxIterations: options.maxIterations,
    names: ['log r', 'log α', 'log a', 'log b'],
  });
  if (!result.converged) return fail(`BG/NBD fit: ${result.reason}`, result.iterations);
  const [r, alpha, a, b] = Array.from(result.theta, Math.exp) as [number, number, number, number];
  return {
    converged: true,
    params: { r, alpha, a, b },
    logLikelihood: -result.value * customers,
    iterations: result.iterations,
    customers,
    rows,
  };
}

/**
 * −(mean log-likelihood) over θ = log(r, α, a, b) and its gradient. Terms that depend on x only
 * are computed once per distinct x, terms in α + time once per distinct time; each row then
 * costs one exp and one log1p.
 */
export function bgNbdObjective(data: WeightedHistories): Objective {
  const { xValues, xWeight, xIndex, times, txIndex, TIndex, weight, rows, customers } = data;
  const logTime = new Float64Array(times.length);
  const inverseTime = new Float64Array(times.length);
  const constant = new Float64Array(xValues.length);
  const logDropoutWeight = new Float64Array(xValues.length);

  return (theta, gradient) => {
    const r = Math.exp(theta[0]!);
    const alpha = Math.exp(theta[1]!);
    const a = Math.exp(theta[2]!);
    const b = Math.exp(theta[3]!);
    for (let k = 0; k < times.length; k++) {
      const at = alpha + times[k]!;
      logTime[k] = Math.log(at);
      inverseTime[k] = 1 / at;
    }
    const logAlpha = Math.log(alpha);
    const logGammaR = logGamma(r);
    const psiR = digamma(r);
    const logBetaAB = logGamma(a) + logGamma(b) - logGamma(a + b);
    const psiAB = digamma(a + b);
    const psiB = digamma(b);
    let dR = 0;
    let dAlpha = 0;
    let dA = 0;
    let dB = 0;
    const logLikelihood = new CompensatedSum();
    for (let i = 0; i < xValues.length; i++) {
      const x = xValues[i]!;
      const w = xWeight[i]!;
      constant[i] = logGamma(r + x) - logGammaR + r * logAlpha;
      dR += w * (digamma(r + x) - psiR + logAlpha);
      dAlpha += (w * r) / alpha;
      if (x > 0) {
        constant[i]! += logGamma(a) + logGamma(b + x) - logGamma(a + b + x) - logBetaAB;
        logDropoutWeight[i] = Math.log(a) - Math.log(b + x - 1);
        const psiABX = digamma(a + b + x);
        dA += w * (psiAB - psiABX);
        dB += w * (psiAB + digamma(b + x) - psiB - psiABX);
      }
    }
    for (let row = 0; row < rows; row++) {
      const w = weight[row]!;
      const xi = xIndex[row]!;
      const x = xValues[xi]!;
      const rx = r + x;
      const T = TIndex[row]!;
      const alive = -rx * logTime[T]!;
      if (x === 0) {
        logLikelihood.add(w * (constant[xi]! + alive));
        dR -= w * logTime[T]!;
        dAlpha -= w * rx * inverseTime[T]!;
        continue;
      }
      const tx = txIndex[row]!;
      const dropped = logDropoutWeight[xi]! - rx * logTime[tx]!;
      // log(e^alive + e^dropped) and the dropped term's share, without overflow.
      let logSum: number;
      let droppedShare: number;
      if (alive >= dropped) {
        const e = Math.exp(dropped - alive);
        logSum = alive + Math.log1p(e);
        droppedShare = e / (1 + e);
      } else {
        const e = Math.exp(alive - dropped);
        logSum = dropped + Math.log1p(e);
        droppedShare = 1 / (1 + e);
      }
      const aliveShare = 1 - droppedShare;
      logLikelihood.add(w * (constant[xi]! + logSum));
      dR -= w * (aliveShare * logTime[T]! + droppedShare * logTime[tx]!);
      dAlpha -= w * rx * (aliveShare * inverseTime[T]! + droppedShare * inverseTime[tx]!);
      dA += (w * droppedShare) / a;
      dB -= (w * droppedShare) / (b + x - 1);
    }
    gradient[0] = (-r * dR) / customers;
    gradient[1] = (-alpha * dAlpha) / customers;
    gradient[2] = (-a * dA) / customers;
    gradient[3] = (-b * dB) / customers;
    return -logLikelihood.value / customers;
  };
}
