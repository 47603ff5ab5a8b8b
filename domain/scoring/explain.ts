/**
 * A customer's model scores with everything they were computed from, in one plain object: what
 * the UI shows under "why this score" and what the scoring activity stores beside the numbers.
 */
import { expectedPurchases, probabilityAlive, type BgNbdParams } from './bgnbd.ts';
import { CHURN_RISK_HIGH_FROM, CHURN_RISK_MEDIUM_FROM, churnBand, churnRisk, type ChurnBand } from './churn.ts';
import { customerLifetimeValue, lifetimeValueSettings, type LifetimeValueOptions } from './clv.ts';
import { expectedOrderValue, type GammaGammaParams } from './gamma-gamma.ts';
import { ScoringInputError, type ModelTimeUnit, type PurchaseHistory } from './history.ts';

/** The fitted models every score of a run comes from; both are in `unit`. */
export interface ScoringModel {
  unit: ModelTimeUnit;
  bgnbd: BgNbdParams;
  gammaGamma: GammaGammaParams;
}

/** What a score needs from a customer's summary (see summariseOrders). */
export interface ScoreInputs extends PurchaseHistory {
  /** Repeat purchase days with a positive total: the x of the spend model. */
  paidRepeatPurchases: number;
  /** Mean total of those days; 0 when there are none. */
  meanRepeatSpend: number;
}

export interface CustomerScore {
  inputs: ScoreInputs & { unit: ModelTimeUnit };
  outputs: {
    probabilityAlive: number;
    churnRisk: number;
    churnBand: ChurnBand;
    /** Expected purchases over the horizon. */
    expectedPurchases: number;
    /** Expected value of each future order (the spend model's conditional mean). */
    expectedOrderValue: number;
    /** Discounted value of the expected purchases over the horizon. */
    clv: number;
  };
  settings: {
    horizonMonths: number;
    monthlyDiscountRate: number;
    unitsPerMonth: number;
    churnRiskMediumFrom: number;
    churnRiskHighFrom: number;
  };
  model: { bgnbd: BgNbdParams; gammaGamma: GammaGammaParams };
}

export function scoreCustomer(
  customer: ScoreInputs,
  model: ScoringModel,
  options: Omit<LifetimeValueOptions, 'unit'> = {},
): CustomerScore {
  const { x, tx, T, paidRepeatPurchases, meanRepeatSpend } = customer;
  const history = { x, tx, T };
  if (paidRepeatPurchases > x) {
    throw new ScoringInputError(`paid repeat purchases (${paidRepeatPurchases}) cannot exceed repeat purchases (${x})`);
  }
  const settings = lifetimeValueSettings({ ...options, unit: model.unit });
  const alive = probabilityAlive(model.bgnbd, history);
  const risk = churnRisk(alive);
  const orderValue = expectedOrderValue(model.gammaGamma, paidRepeatPurchases, meanRepeatSpend);
  return {
    inputs: { x, tx, T, unit: model.unit, paidRepeatPurchases, meanRepeatSpend },
    outputs: {
      probabilityAlive: alive,
      churnRisk: risk,
      churnBand: churnBand(risk),
      expectedPurchases: expectedPurchases(model.bgnbd, history, settings.horizonMonths * settings.unitsPerMonth),
      expectedOrderValue: orderValue,
      clv: customerLifetimeValue(model.bgnbd, history, orderValue, { ...settings, unit: model.unit }),
    },
    settings: { ...settings, churnRiskMediumFrom: CHURN_RISK_MEDIUM_FROM, churnRiskHighFrom: CHURN_RISK_HIGH_FROM },
    model: { bgnbd: { ...model.bgnbd }, gammaGamma: { ...model.gammaGamma } },
  };
}
