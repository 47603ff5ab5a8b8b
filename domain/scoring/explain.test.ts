import { describe, expect, it } from 'vitest';
import { expectedPurchases, probabilityAlive } from './bgnbd.ts';
import { CHURN_RISK_HIGH_FROM, CHURN_RISK_MEDIUM_FROM, churnBand, churnRisk } from './churn.ts';
import { customerLifetimeValue, UNITS_PER_MONTH } from './clv.ts';
import { scoreCustomer, type ScoringModel } from './explain.ts';
import { expectedOrderValue, meanOrderValue } from './gamma-gamma.ts';
import { ScoringInputError } from './history.ts';

const model: ScoringModel = {
  unit: 'weeks',
  bgnbd: { r: 0.243, alpha: 4.414, a: 0.793, b: 2.426 },
  gammaGamma: { p: 6.25, q: 3.74, gamma: 15.44 },
};
const regular = { x: 7, tx: 29.43, T: 38.86, paidRepeatPurchases: 7, meanRepeatSpend: 73.74 };

describe('scoreCustomer', () => {
  it('puts the inputs next to every output, the settings and the model in one plain object', () => {
    const score = scoreCustomer(regular, model);
    const history = { x: 7, tx: 29.43, T: 38.86 };
    const orderValue = expectedOrderValue(model.gammaGamma, 7, 73.74);
    const pAlive = probabilityAlive(model.bgnbd, history);
    expect(score).toEqual({
      inputs: { ...regular, unit: 'weeks' },
      outputs: {
        probabilityAlive: pAlive,
        churnRisk: 1 - pAlive,
        churnBand: 'medium',
        expectedPurchases: expectedPurchases(model.bgnbd, history, 12 * UNITS_PER_MONTH.weeks),
        expectedOrderValue: orderValue,
        clv: customerLifetimeValue(model.bgnbd, history, orderValue, { unit: 'weeks' }),
      },
      settings: {
        horizonMonths: 12,
        monthlyDiscountRate: 0.01,
        unitsPerMonth: 4.345,
        churnRiskMediumFrom: CHURN_RISK_MEDIUM_FROM,
        churnRiskHighFrom: CHURN_RISK_HIGH_FROM,
      },
      model: { bgnbd: model.bgnbd, gammaGamma: model.gammaGamma },
    });
    expect(JSON.parse(JSON.stringify(score))).toEqual(score);
  });

  it('takes the horizon and discount rate from the options', () => {
    const score = scoreCustomer(regular, model, { horizonMonths: 3, monthlyDiscountRate: 0 });
    expect(score.settings).toMatchObject({ horizonMonths: 3, monthlyDiscountRate: 0 });
    expect(score.outputs.clv).toBeCloseTo(score.outputs.expectedPurchases * score.outputs.expectedOrderValue, 10);
  });

  it('scores a one-time buyer as alive at the population’s order value', () => {
    const score = scoreCustomer({ x: 0, tx: 0, T: 30, paidRepeatPurchases: 0, meanRepeatSpend: 0 }, model);
    expect(score.outputs).toMatchObject({ probabilityAlive: 1, churnRisk: 0, churnBand: 'low' });
    expect(score.outputs.expectedOrderValue).toBe(meanOrderValue(model.gammaGamma));
  });

  it('rejects more paid repeat purchases than repeat purchases', () => {
    expect(() => scoreCustomer({ ...regular, paidRepeatPurchases: 8 }, model)).toThrow(ScoringInputError);
  });
});

describe('churn bands', () => {
  it('split churn risk at the documented thresholds', () => {
    expect(churnBand(0)).toBe('low');
    expect(churnBand(CHURN_RISK_MEDIUM_FROM - 1e-9)).toBe('low');
    expect(churnBand(CHURN_RISK_MEDIUM_FROM)).toBe('medium');
    expect(churnBand(CHURN_RISK_HIGH_FROM - 1e-9)).toBe('medium');
    expect(churnBand(CHURN_RISK_HIGH_FROM)).toBe('high');
    expect(churnBand(1)).toBe('high');
  });

  it('make a long-silent heavy buyer high risk', () => {
    const risk = churnRisk(probabilityAlive(model.bgnbd, { x: 10, tx: 10, T: 60 }));
    expect(churnBand(risk)).toBe('high');
  });

  it('reject values that are not probabilities', () => {
    for (const v of [-0.1, 1.1, NaN]) {
      expect(() => churnRisk(v)).toThrow(ScoringInputError);
      expect(() => churnBand(v)).toThrow(ScoringInputError);
    }
  });
});
