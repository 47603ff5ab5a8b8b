import { describe, expect, it } from 'vitest';
import { Random } from '../../bench/datagen/random.ts';
import { customerLogLikelihood, type BgNbdParams } from './bgnbd.ts';
import { bgNbdObjective, fitBgNbd } from './bgnbd-fit.ts';
import { acceptFit } from './fit-result.ts';
import { ScoringInputError } from './history.ts';
import { simulateHistories } from './simulate.ts';
import { compressHistories, uncompressedHistories } from './weighted-rows.ts';

// CDNOW's weekly estimates in days.
const truth: BgNbdParams = { r: 0.243, alpha: 30.9, a: 0.793, b: 2.426 };

function simulatedBase(customers: number, seed: number) {
  const random = new Random(seed);
  // First purchases spread over two years.
  const T = Float64Array.from({ length: customers }, () => random.uniform(0, 730));
  return simulateHistories(truth, T, random);
}

describe('fitBgNbd', () => {
  const base = simulatedBase(100_000, 7);

  it('recovers the parameters a customer base was drawn from', () => {
    const fit = fitBgNbd(compressHistories(base, 1));
    if (!fit.converged) throw new Error(fit.reason);
    expect(fit.params.r / truth.r).toBeCloseTo(1, 1);
    expect(fit.params.alpha / truth.alpha).toBeCloseTo(1, 1);
    expect(Math.abs(fit.params.a / truth.a - 1)).toBeLessThan(0.1);
    expect(Math.abs(fit.params.b / truth.b - 1)).toBeLessThan(0.1);
  });

  it('fits one-day compressed rows like one row per customer with exact times', () => {
    const compressed = fitBgNbd(compressHistories(base, 1));
    const exact = fitBgNbd(uncompressedHistories(base));
    if (!compressed.converged || !exact.converged) throw new Error('both fits should converge');
    expect(compressed.rows).toBeLessThan(exact.rows / 2);
    for (const name of ['r', 'alpha', 'a', 'b'] as const) {
      expect(Math.abs(compressed.params[name] / exact.params[name] - 1)).toBeLessThan(2e-3);
    }
  });

  it('reports the log-likelihood of the data at the estimates', () => {
    const small = simulatedBase(2_000, 8);
    const fit = fitBgNbd(uncompressedHistories(small));
    if (!fit.converged) throw new Error(fit.reason);
    let total = 0;
    for (let i = 0; i < small.x.length; i++) {
      total += customerLogLikelihood(fit.params, { x: small.x[i]!, tx: small.tx[i]!, T: small.T[i]! });
    }
    expect(fit.logLikelihood).toBeCloseTo(total, 6);
  });

  it('uses the analytic gradient of the likelihood', () => {
    const objective = bgNbdObjective(compressHistories(simulatedBase(3_000, 9), 1));
    const theta = Float64Array.from([0.3, 25, 1.2, 1.8].map(Math.log));
    const gradient = new Float64Array(4);
    objective(theta, gradient);
    for (let i = 0; i < 4; i++) {
      const h = 1e-6;
      const up = Float64Array.from(theta);
      const down = Float64Array.from(theta);
      up[i]! += h;
      down[i]! -= h;
      const scratch = new Float64Array(4);
      const numeric = (objective(up, scratch) - objective(down, scratch)) / (2 * h);
      expect(gradient[i]).toBeCloseTo(numeric, 7);
    }
  });

  it('converges faster from the previous parameters', () => {
    const data = compressHistories(base, 1);
    const cold = fitBgNbd(data);
    if (!cold.converged) throw new Error(cold.reason);
    const warm = fitBgNbd(data, { start: cold.params });
    expect(warm.converged).toBe(true);
    expect(warm.iterations).toBeLessThan(cold.iterations / 2);
  });
});

describe('fitBgNbd on data it cannot fit', () => {
  const previous = truth;

  it('says there is nothing to fit for an empty base, and the caller keeps its parameters', () => {
    const fit = fitBgNbd(compressHistories({ x: [], tx: [], T: [] }, 1));
    expect(fit).toMatchObject({ converged: false, reason: 'there are no customers to fit' });
    expect(acceptFit(fit, previous)).toBe(previous);
  });

  it('does not estimate dropout without a single repeat purchase', () => {
    const fit = fitBgNbd(compressHistories({ x: [0, 0, 0], tx: [0, 0, 0], T: [10, 20, 30] }, 1));
    expect(fit).toMatchObject({ converged: false, reason: expect.stringMatching(/no customer has a repeat purchase/) });
  });

  it('reports a parameter running off to infinity when all customers look the same', () => {
    const n = 200;
    const fit = fitBgNbd(compressHistories({ x: Array(n).fill(5), tx: Array(n).fill(10), T: Array(n).fill(10) }, 1));
    expect(fit).toMatchObject({ converged: false, reason: expect.stringMatching(/diverged/) });
    expect(acceptFit(fit, previous)).toBe(previous);
  });

  it('stops at the iteration limit without claiming convergence', () => {
    const fit = fitBgNbd(compressHistories(simulatedBase(1_000, 10), 1), { maxIterations: 2 });
    expect(fit).toMatchObject({ converged: false, reason: 'BG/NBD fit: no convergence in 2 iterations' });
  });

  it('accepts a converged fit', () => {
    const fit = fitBgNbd(compressHistories(simulatedBase(5_000, 11), 1));
    expect(fit.converged).toBe(true);
    expect(acceptFit(fit, previous)).not.toBe(previous);
  });

  it('rejects histories that cannot happen before fitting anything', () => {
    expect(() => compressHistories({ x: [1, 2], tx: [3, 9], T: [5, 8] }, 1)).toThrow(ScoringInputError);
    expect(() => compressHistories({ x: [1, -2], tx: [3, 4], T: [5, 8] }, 1)).toThrow(/customer 1/);
    expect(() => fitBgNbd(compressHistories({ x: [1], tx: [1], T: [2] }, 1), { start: { ...truth, r: -1 } })).toThrow(
      ScoringInputError,
    );
  });
});
