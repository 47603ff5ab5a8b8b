/**
 * Churn risk = 1 − P(alive) from BG/NBD, in three bands. The thresholds have a plain meaning:
 * "high" is where the model thinks the customer has more likely than not stopped buying,
 * "medium" where it gives that at least one chance in four.
 *
 * A customer with a single purchase always has P(alive) = 1 in BG/NBD (dropout happens only
 * after a repeat purchase), so one-time buyers are always "low" here, however long ago they
 * bought; read their risk together with the expected purchases.
 */
import { ScoringInputError } from './history.ts';

export const CHURN_RISK_MEDIUM_FROM = 0.25;
export const CHURN_RISK_HIGH_FROM = 0.5;

export const CHURN_BANDS = ['low', 'medium', 'high'] as const;
export type ChurnBand = (typeof CHURN_BANDS)[number];

export function churnRisk(probabilityAlive: number): number {
  if (!(probabilityAlive >= 0 && probabilityAlive <= 1)) {
    throw new ScoringInputError(`P(alive) must be a probability, got ${probabilityAlive}`);
  }
  return 1 - probabilityAlive;
}

export function churnBand(risk: number): ChurnBand {
  if (!(risk >= 0 && risk <= 1)) throw new ScoringInputError(`churn risk must be a probability, got ${risk}`);
  if (risk >= CHURN_RISK_HIGH_FROM) return 'high';
  if (risk >= CHURN_RISK_MEDIUM_FROM) return 'medium';
  return 'low';
}
