import { readFileSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  customerLogLikelihood,
  expectedPurchases,
  expectedPurchasesOfNewCustomer,
  probabilityAlive,
  purchaseCountProbability,
  type BgNbdParams,
} from './bgnbd.ts';
import { fitBgNbd } from './bgnbd-fit.ts';
import { customerLifetimeValue } from './clv.ts';
import { expectedOrderValue, fitGammaGamma, spendLogLikelihood, type GammaGammaParams } from './gamma-gamma.ts';
import { summariseOrders, type Order } from './summary.ts';
import { compressHistories, compressSpend, uncompressedHistories } from './weighted-rows.ts';

// The CDNOW sample and the published BG/NBD and Gamma-Gamma results on it; see its README.
const repoRoot = path.resolve(import.meta.dirname, '..', '..');
const cdnowDir = path.resolve(repoRoot, '..', 'shared', 'data', 'cdnow');
const read = (file: string) => readFileSync(path.join(cdnowDir, file), 'utf8');

interface Reference {
  bgnbd: {
    published: BgNbdParams & { loglik: number };
    reproduced_mle: BgNbdParams & { loglik: number };
    loglik_at_published_params_reproduced: number;
    conditional_expected_purchases: {
      t: number;
      x: number;
      t_x: number;
      T: number;
      expected?: number;
      tol?: number;
      reproduced_mle: number;
      reproduced_published_params: number;
    }[];
    p_alive: {
      x: number;
      t_x: number;
      T: number | 'any';
      expected?: number;
      reproduced_mle?: number;
      reproduced_published_params?: number;
    }[];
    unconditional_expected_purchases_mle: { t: number[]; expected: number[]; decimal: number };
    pmf_published_params: { P_X39_eq_0: number; P_X2_eq_10: number; P_X30_eq_n_for_n_11_to_20: number[] };
    sum_expected_Y39_all_customers_reproduced_mle: number;
  };
  gamma_gamma: {
    published: GammaGammaParams & { loglik: number };
    reproduced_mle: GammaGammaParams & { loglik: number; n: number };
    conditional_expected_average_profit_first10: {
      customer_ids: number[];
      lifetimes_fit: number[];
      test_expected_atol_0_1: number[];
      with_published_params_reproduced: number[];
    };
    mean_cond_expected_avg_profit_all_2357: number;
  };
  clv_lifetimes_quickstart: { customer_ids: number[]; freq_D_factor_30: number[]; weekly_factor_4_345: number[] };
}

interface SummaryRow {
  id: number;
  x: number;
  tx: number;
  T: number;
  zbar: number;
}

const reference = JSON.parse(read('reference_values.json')) as Reference;

function readSummaries(): SummaryRow[] {
  return read('cdnow_customers_summary_with_transactions.csv')
    .trim()
    .split(/\r?\n/)
    .slice(1)
    .map((line) => {
      const [id, x, tx, T, zbar] = line.split(',').map(Number) as [number, number, number, number, number];
      return { id, x, tx, T, zbar };
    });
}

/** numpy's assert_almost_equal(decimal=d), which the lifetimes tests use: |Δ| < 1.5·10^−d. */
const numpyDecimal = (d: number) => 1.5 * 10 ** -d;

const customers = readSummaries();
const histories = {
  x: customers.map((c) => c.x),
  tx: customers.map((c) => c.tx),
  T: customers.map((c) => c.T),
};
const { published, reproduced_mle: mle } = reference.bgnbd;
let bgnbd: BgNbdParams;
let gammaGamma: GammaGammaParams;

beforeAll(() => {
  // The summaries are days/7 rounded to 2 decimals, so a 0.01-week grid keeps them exact.
  const bgFit = fitBgNbd(compressHistories(histories, 0.01));
  const ggFit = fitGammaGamma(compressSpend({ x: histories.x, m: customers.map((c) => c.zbar) }));
  if (!bgFit.converged || !ggFit.converged) throw new Error('the CDNOW fits must converge');
  bgnbd = bgFit.params;
  gammaGamma = ggFit.params;
});

describe('BG/NBD on CDNOW (Fader, Hardie & Lee 2005)', () => {
  it('finds the published parameters to 3 decimals and the reproduced MLE to 1e-5', () => {
    for (const name of ['r', 'alpha', 'a', 'b'] as const) {
      expect(Math.abs(bgnbd[name] - published[name])).toBeLessThanOrEqual(0.0005);
      expect(bgnbd[name]).toBeCloseTo(mle[name], 5);
    }
  });

  it('reaches the published log-likelihood, and the compressed rows give the same fit as one row per customer', () => {
    const compressed = fitBgNbd(compressHistories(histories, 0.01));
    const perCustomer = fitBgNbd(uncompressedHistories(histories));
    if (!compressed.converged || !perCustomer.converged) throw new Error('expected both fits to converge');
    expect(compressed.rows).toBeLessThan(customers.length / 2);
    expect(Math.abs(compressed.logLikelihood - published.loglik)).toBeLessThan(0.1);
    expect(compressed.logLikelihood).toBeCloseTo(mle.loglik, 3);
    expect(perCustomer.logLikelihood).toBeCloseTo(compressed.logLikelihood, 6);
    const total = customers.reduce((sum, c) => sum + customerLogLikelihood(published, c), 0);
    expect(total).toBeCloseTo(reference.bgnbd.loglik_at_published_params_reproduced, 3);
  });

  it('predicts the conditional expected purchases of the Hardie sheet and the reproduced values', () => {
    for (const c of reference.bgnbd.conditional_expected_purchases) {
      const history = { x: c.x, tx: c.t_x, T: c.T };
      if (c.expected !== undefined) {
        expect(Math.abs(expectedPurchases(bgnbd, history, c.t) - c.expected)).toBeLessThanOrEqual(c.tol!);
      }
      expect(expectedPurchases(bgnbd, history, c.t)).toBeCloseTo(c.reproduced_mle, 4);
      expect(expectedPurchases(published, history, c.t)).toBeCloseTo(c.reproduced_published_params, 5);
    }
  });

  it('gives the reproduced P(alive), and exactly 1 without repeat purchases', () => {
    for (const c of reference.bgnbd.p_alive) {
      if (c.T === 'any') {
        for (const T of [0, 1, 38.86, 1000]) expect(probabilityAlive(bgnbd, { x: c.x, tx: c.t_x, T })).toBe(c.expected);
        continue;
      }
      const history = { x: c.x, tx: c.t_x, T: c.T };
      expect(probabilityAlive(bgnbd, history)).toBeCloseTo(c.reproduced_mle!, 5);
      expect(probabilityAlive(published, history)).toBeCloseTo(c.reproduced_published_params!, 6);
    }
  });

  it('sums the expected purchases of all customers over 39 weeks as reproduced', () => {
    const total = customers.reduce((sum, c) => sum + expectedPurchases(bgnbd, c, 39), 0);
    expect(total).toBeCloseTo(reference.bgnbd.sum_expected_Y39_all_customers_reproduced_mle, 2);
  });

  it('gives the unconditional E[X(t)] of the Hardie sheet', () => {
    const { t, expected, decimal } = reference.bgnbd.unconditional_expected_purchases_mle;
    t.forEach((weeks, i) => {
      expect(Math.abs(expectedPurchasesOfNewCustomer(bgnbd, weeks) - expected[i]!)).toBeLessThan(numpyDecimal(decimal));
    });
  });

  it('gives the P(X(t) = n) of R BTYD with the published parameters', () => {
    const pmf = reference.bgnbd.pmf_published_params;
    expect(purchaseCountProbability(published, 39, 0)).toBeCloseTo(pmf.P_X39_eq_0, 7);
    expect(purchaseCountProbability(published, 2, 10) / pmf.P_X2_eq_10).toBeCloseTo(1, 5);
    pmf.P_X30_eq_n_for_n_11_to_20.forEach((p, i) => {
      expect(purchaseCountProbability(published, 30, 11 + i)).toBeCloseTo(p, 9);
    });
  });
});

describe('Gamma-Gamma on CDNOW (Fader & Hardie 2013)', () => {
  const gg = reference.gamma_gamma;

  it('finds the published parameters at lifetimes’ 2-decimal tolerance and the reproduced MLE to 1e-4', () => {
    // γ̂ = 15.448 here (lifetimes prints 15.45): the published 15.44 is within numpy's decimal=2
    // tolerance (1.5e-2) that the lifetimes test uses, not within half a cent.
    for (const name of ['p', 'q', 'gamma'] as const) {
      expect(Math.abs(gammaGamma[name] - gg.published[name])).toBeLessThan(numpyDecimal(2));
      expect(gammaGamma[name]).toBeCloseTo(gg.reproduced_mle[name], 4);
    }
  });

  it('uses the 946 repeat buyers and reaches the reproduced log-likelihood', () => {
    const fit = fitGammaGamma(compressSpend({ x: histories.x, m: customers.map((c) => c.zbar) }));
    if (!fit.converged) throw new Error(fit.reason);
    expect(fit.customers).toBe(gg.reproduced_mle.n);
    expect(fit.logLikelihood).toBeCloseTo(gg.reproduced_mle.loglik, 3);
    const total = customers
      .filter((c) => c.x > 0)
      .reduce((sum, c) => sum + spendLogLikelihood(gammaGamma, c.x, c.zbar), 0);
    expect(total).toBeCloseTo(fit.logLikelihood, 6);
  });

  it('gives the expected order values of customers 1–10', () => {
    const table = gg.conditional_expected_average_profit_first10;
    table.customer_ids.forEach((id, i) => {
      const c = customers.find((row) => row.id === id)!;
      const ours = expectedOrderValue(gammaGamma, c.x, c.zbar);
      expect(Math.abs(ours - table.lifetimes_fit[i]!)).toBeLessThan(0.01);
      expect(Math.abs(ours - table.test_expected_atol_0_1[i]!)).toBeLessThan(0.1);
      const withPublished = expectedOrderValue(gg.published, c.x, c.zbar);
      expect(Math.abs(withPublished - table.with_published_params_reproduced[i]!)).toBeLessThanOrEqual(0.005 + 1e-9);
    });
  });

  it('gives the mean expected order value over all 2,357 customers', () => {
    const mean = customers.reduce((sum, c) => sum + expectedOrderValue(gammaGamma, c.x, c.zbar), 0) / customers.length;
    expect(mean).toBeCloseTo(gg.mean_cond_expected_avg_profit_all_2357, 4);
  });
});

describe('CLV on CDNOW', () => {
  const clv = reference.clv_lifetimes_quickstart;
  const valueOf = (id: number, unitsPerMonth?: number) => {
    const c = customers.find((row) => row.id === id)!;
    const orderValue = expectedOrderValue(gammaGamma, c.x, c.zbar);
    return customerLifetimeValue(bgnbd, c, orderValue, {
      unit: 'weeks',
      horizonMonths: 12,
      monthlyDiscountRate: 0.01,
      unitsPerMonth,
    });
  };

  it('values 12 months at 4.345 weeks a month as the unit-handling regression values', () => {
    clv.customer_ids.forEach((id, i) => expect(Math.abs(valueOf(id) - clv.weekly_factor_4_345[i]!)).toBeLessThan(0.01));
  });

  it('reproduces lifetimes’ freq="D" values, which are 12 periods of 30 weeks on weekly data', () => {
    clv.customer_ids.forEach((id, i) =>
      expect(Math.abs(valueOf(id, 30) - clv.freq_D_factor_30[i]!)).toBeLessThan(1e-4),
    );
  });
});

describe('summarising the CDNOW transactions', () => {
  it('reproduces x, t_x, T and zbar of every customer within 0.01', () => {
    const orders = new Map<number, Order[]>();
    for (const line of read('CDNOW_sample.txt').trim().split(/\r?\n/)) {
      const [, sampleId, date, , dollars] = line.trim().split(/\s+/) as [string, string, string, string, string];
      const orderedAt = new Date(Date.UTC(+date.slice(0, 4), +date.slice(4, 6) - 1, +date.slice(6, 8)));
      const list = orders.get(Number(sampleId)) ?? [];
      list.push({ orderedAt, total: Number(dollars) });
      orders.set(Number(sampleId), list);
    }
    expect(orders.size).toBe(customers.length);
    const asOf = new Date(Date.UTC(1997, 8, 30)); // the end of the calibration period, weeks 1–39
    for (const c of customers) {
      const summary = summariseOrders(orders.get(c.id)!, { asOf, timeZone: 'UTC', unit: 'weeks' })!;
      expect({ id: c.id, x: summary.x }).toEqual({ id: c.id, x: c.x });
      expect(Math.abs(summary.tx - c.tx)).toBeLessThan(0.01);
      expect(Math.abs(summary.T - c.T)).toBeLessThan(0.01);
      expect(Math.abs(summary.meanRepeatSpend - c.zbar)).toBeLessThan(0.01);
      expect(summary.paidRepeatPurchases).toBe(c.x);
    }
  });
});
