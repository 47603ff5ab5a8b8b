import { describe, expect, it } from 'vitest';
import { Random } from '../../bench/datagen/random.ts';
import { expectedPurchasesOfNewCustomer, type BgNbdParams } from './bgnbd.ts';
import { meanOrderValue, type GammaGammaParams } from './gamma-gamma.ts';
import { simulateHistories, simulateRepeatSpend } from './simulate.ts';

describe('simulated customer bases', () => {
  const params: BgNbdParams = { r: 0.243, alpha: 4.414, a: 0.793, b: 2.426 };

  it('buy as often as the model expects', () => {
    const n = 200_000;
    const { x, tx, T } = simulateHistories(params, new Float64Array(n).fill(39), new Random(1));
    const mean = x.reduce((sum, v) => sum + v, 0) / n;
    const variance = x.reduce((sum, v) => sum + (v - mean) ** 2, 0) / (n - 1);
    expect(Math.abs(mean - expectedPurchasesOfNewCustomer(params, 39))).toBeLessThan(4 * Math.sqrt(variance / n));
    let impossible = 0;
    for (let i = 0; i < n; i++) if (!(tx[i]! <= T[i]! && (x[i]! > 0 || tx[i] === 0))) impossible++;
    expect(impossible).toBe(0);
  });

  it('spend what the spend model expects on average', () => {
    const spend: GammaGammaParams = { p: 6.25, q: 3.74, gamma: 15.44 };
    const m = simulateRepeatSpend(spend, new Float64Array(100_000).fill(3), new Random(2));
    const mean = m.reduce((sum, v) => sum + v, 0) / m.length;
    expect(mean / meanOrderValue(spend)).toBeCloseTo(1, 1);
    expect(simulateRepeatSpend(spend, [0, 0], new Random(3))).toEqual(new Float64Array(2));
  });
});
