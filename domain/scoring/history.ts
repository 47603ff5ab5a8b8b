/**
 * What every score starts from: a customer's purchase history in model time units, and the error
 * for input the models cannot mean anything for (negative counts or amounts, a last purchase after
 * the end of the observation window, non-numbers). Callers fix such data; a fit that merely fails
 * to converge is not an error and is reported in the fit result instead.
 */
export class ScoringInputError extends Error {
  override name = 'ScoringInputError';
}

/** The time unit of a fitted model: x counts purchases, t_x and T are in this unit. */
export type ModelTimeUnit = 'days' | 'weeks';

export const MODEL_TIME_UNITS: readonly ModelTimeUnit[] = ['days', 'weeks'];

/** One calendar day in each model unit: the default resolution for compressing histories. */
export const ONE_DAY: Readonly<Record<ModelTimeUnit, number>> = { days: 1, weeks: 1 / 7 };

/**
 * A customer's purchase history as BG/NBD sees it (Fader, Hardie & Lee 2005):
 * x = repeat purchases (purchase days after the first), tx = time from the first purchase to the
 * last one (0 when x = 0), T = time from the first purchase to the end of the observation window.
 */
export interface PurchaseHistory {
  x: number;
  tx: number;
  T: number;
}

export function checkHistory(history: PurchaseHistory, at = ''): void {
  const { x, tx, T } = history;
  const where = at ? ` (${at})` : '';
  if (!(Number.isInteger(x) && x >= 0)) {
    throw new ScoringInputError(`x must be a non-negative whole number of repeat purchases, got ${x}${where}`);
  }
  if (!(Number.isFinite(T) && T >= 0)) throw new ScoringInputError(`T must be a non-negative time, got ${T}${where}`);
  if (!(Number.isFinite(tx) && tx >= 0))
    throw new ScoringInputError(`t_x must be a non-negative time, got ${tx}${where}`);
  if (tx > T) throw new ScoringInputError(`t_x (${tx}) is after the end of the observation window T (${T})${where}`);
  if (x === 0 && tx !== 0) throw new ScoringInputError(`t_x must be 0 for a customer without repeat purchases${where}`);
}
