import { describe, expect, it } from 'vitest';
import { Random } from '../../bench/datagen/random.ts';
import { acceptFit } from './fit-result.ts';
import {
  checkGammaGammaParams,
  expectedOrderValue,
  fitGammaGamma,
  gammaGammaObjective,
  meanOrderValue,
  type GammaGammaParams,
} from './gamma-gamma.ts';
import { ScoringInputError } from './history.ts';
import { simulateRepeatSpend } from './simulate.ts';
import { compressSpend, uncompressedSpend } from './weighted-rows.ts';

const truth: GammaGammaParams = { p: 6.25, q: 3.74, gamma: 15.44 };

function repeatBuyers(customers: number, params: GammaGammaParams, seed: number) {
  const random = new Random(seed);
  const x = Array.from({ length: customers }, () => 1 + Math.floor(random.exponential(0.4)));
  return { x, m: Array.from(simulateRepeatSpend(params, x, random)) };
}

describe('fitGammaGamma', () => {
  it('recovers the parameters the spend was drawn from', () => {
    const fit = fitGammaGamma(compressSpend(repeatBuyers(50_000, truth, 1)));
    if (!fit.converged) throw new Error(fit.reason);
    for (const name of ['p', 'q', 'gamma'] as const) {
      expect(Math.abs(fit.params[name] / truth[name] - 1)).toBeLessThan(0.1);
    }
    expect(meanOrderValue(fit.params) / meanOrderValue(truth)).toBeCloseTo(1, 1);
  });

  it('fits amounts rounded to cents like the exact amounts', () => {
    const spend = repeatBuyers(20_000, truth, 2);
    const cents = fitGammaGamma(compressSpend(spend));
    const exact = fitGammaGamma(uncompressedSpend(spend));
    if (!cents.converged || !exact.converged) throw new Error('both fits should converge');
    for (const name of ['p', 'q', 'gamma'] as const) {
      expect(Math.abs(cents.params[name] / exact.params[name] - 1)).toBeLessThan(1e-3);
    }
  });

  it('uses the analytic gradient of the likelihood', () => {
    const objective = gammaGammaObjective(compressSpend(repeatBuyers(2_000, truth, 3)));
    const theta = Float64Array.from([4, 3, 20].map(Math.log));
    const gradient = new Float64Array(3);
    objective(theta, gradient);
    for (let i = 0; i < 3; i++) {
      const h = 1e-6;
      const up = Float64Array.from(theta);
      const down = Float64Array.from(theta);
      up[i]! += h;
      down[i]! -= h;
      const scratch = new Float64Array(3);
      expect(gradient[i]).toBeCloseTo((objective(up, scratch) - objective(down, scratch)) / (2 * h), 7);
    }
  });

  it('fails without enough repeat buyers, and the caller keeps its parameters', () => {
    const fit = fitGammaGamma(compressSpend({ x: [0, 3, 0], m: [0, 20, 0] }));
    expect(fit).toMatchObject({ converged: false, reason: expect.stringMatching(/fewer than two/) });
    expect(acceptFit(fit, truth)).toBe(truth);
  });

  it('fails when everybody spends the same, which a gamma mixture cannot pin down', () => {
    const fit = fitGammaGamma(compressSpend({ x: Array(100).fill(2), m: Array(100).fill(20) }));
    expect(fit).toMatchObject({ converged: false, reason: expect.stringMatching(/diverged/) });
  });

  it('refuses estimates with an infinite mean order value (q ≤ 1)', () => {
    const fit = fitGammaGamma(compressSpend(repeatBuyers(20_000, { p: 2, q: 0.6, gamma: 10 }, 4)));
    expect(fit).toMatchObject({ converged: false, reason: expect.stringMatching(/q = .* ≤ 1/) });
  });
});

describe('expectedOrderValue', () => {
  it('is the population mean without paid repeat orders', () => {
    expect(expectedOrderValue(truth, 0, 0)).toBeCloseTo((truth.p * truth.gamma) / (truth.q - 1), 12);
    expect(expectedOrderValue(truth, 0, 0)).toBe(meanOrderValue(truth));
  });

  it('moves from the population mean towards the customer’s own mean as their orders add up', () => {
    const population = meanOrderValue(truth);
    const own = 80;
    const values = [1, 2, 5, 20, 1000].map((x) => expectedOrderValue(truth, x, own));
    for (let i = 1; i < values.length; i++) expect(values[i]!).toBeGreaterThan(values[i - 1]!);
    expect(values[0]!).toBeGreaterThan(population);
    expect(values.at(-1)!).toBeCloseTo(own, 0);
  });

  it('rejects parameters without a finite mean and negative inputs', () => {
    expect(() => checkGammaGammaParams({ ...truth, q: 1 })).toThrow(/q must exceed 1/);
    expect(() => expectedOrderValue(truth, -1, 10)).toThrow(ScoringInputError);
    expect(() => expectedOrderValue(truth, 1, -10)).toThrow(ScoringInputError);
  });
});
