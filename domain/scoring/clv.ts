/**
 * Customer lifetime value over a horizon of whole months, discounted monthly:
 *   CLV = Σ_{k=1..H} E[M] · (E[Y(k·f)] − E[Y((k−1)·f)]) / (1+d)^k
 * with E[M] the Gamma-Gamma expected order value, E[Y] the BG/NBD expected purchases and f the
 * number of model time units per month.
 */
import { expectedPurchasesCurve, type BgNbdParams } from './bgnbd.ts';
import { ScoringInputError, type ModelTimeUnit, type PurchaseHistory } from './history.ts';

/**
 * Model time units per month. Days: 365.25/12 = 30.4375, the mean Gregorian month. Weeks: 4.345,
 * the convention of lifetimes (freq="W") that the CDNOW regression values use; it is 0.07% short
 * of 30.4375/7 = 4.348, so the same customer's CLV differs by about that between the two units.
 */
export const UNITS_PER_MONTH: Readonly<Record<ModelTimeUnit, number>> = { days: 365.25 / 12, weeks: 4.345 };

export const DEFAULT_HORIZON_MONTHS = 12;
export const DEFAULT_MONTHLY_DISCOUNT_RATE = 0.01;

export interface LifetimeValueOptions {
  /** The unit the BG/NBD model was fitted in. */
  unit: ModelTimeUnit;
  horizonMonths?: number;
  monthlyDiscountRate?: number;
  /** Overrides UNITS_PER_MONTH[unit]; only for reproducing other tools' conventions. */
  unitsPerMonth?: number;
}

export interface LifetimeValueSettings {
  horizonMonths: number;
  monthlyDiscountRate: number;
  unitsPerMonth: number;
}

export function lifetimeValueSettings(options: LifetimeValueOptions): LifetimeValueSettings {
  const horizonMonths = options.horizonMonths ?? DEFAULT_HORIZON_MONTHS;
  const monthlyDiscountRate = options.monthlyDiscountRate ?? DEFAULT_MONTHLY_DISCOUNT_RATE;
  const unitsPerMonth = options.unitsPerMonth ?? UNITS_PER_MONTH[options.unit];
  if (!(Number.isInteger(horizonMonths) && horizonMonths >= 1)) {
    throw new ScoringInputError(`the horizon must be a whole number of months, at least 1, got ${horizonMonths}`);
  }
  if (!(Number.isFinite(monthlyDiscountRate) && monthlyDiscountRate > -1)) {
    throw new ScoringInputError(`the monthly discount rate must be a number above −1, got ${monthlyDiscountRate}`);
  }
  if (!(unitsPerMonth > 0 && Number.isFinite(unitsPerMonth))) {
    throw new ScoringInputError(`units per month must be a positive number, got ${unitsPerMonth}`);
  }
  return { horizonMonths, monthlyDiscountRate, unitsPerMonth };
}

export function customerLifetimeValue(
  bgnbd: BgNbdParams,
  history: PurchaseHistory,
  expectedOrderValue: number,
  options: LifetimeValueOptions,
): number {
  const { horizonMonths, monthlyDiscountRate, unitsPerMonth } = lifetimeValueSettings(options);
  if (!(Number.isFinite(expectedOrderValue) && expectedOrderValue >= 0)) {
    throw new ScoringInputError(`the expected order value must be a non-negative amount, got ${expectedOrderValue}`);
  }
  const months = Array.from({ length: horizonMonths + 1 }, (_, month) => month);
  const purchases = expectedPurchasesCurve(
    bgnbd,
    history,
    months.map((month) => month * unitsPerMonth),
  );
  let value = 0;
  for (let month = 1; month <= horizonMonths; month++) {
    value += (expectedOrderValue * (purchases[month]! - purchases[month - 1]!)) / (1 + monthlyDiscountRate) ** month;
  }
  return value;
}
