import { MAX_AUDIENCE_SIZE, type CampaignType, type PlanningCustomer } from './types.ts';

/**
 * Who a campaign should reach first. A customer's priority (0–1) blends three things:
 *
 *   priority = 0.45 · CLV percentile + 0.25 · churn term + 0.30 · segment fit
 *
 * - CLV percentile: the customer's mid-rank among the candidates (0 = lowest CLV, 1 = highest,
 *   ties share their middle rank). A percentile, not CLV itself, because CLV is heavy-tailed: a
 *   few whales would otherwise drown every other signal.
 * - Churn term: churn risk for campaigns that rescue customers (win-back, re-engagement, holiday,
 *   custom — urgency counts), 1 − churn risk for new arrivals, which speak to customers who are
 *   still buying.
 * - Segment fit: how well the campaign type suits the RFM segment, from SEGMENT_FIT below;
 *   segments not in the table (a retailer's own) get UNKNOWN_SEGMENT_FIT.
 *
 * Priorities are rounded to 4 decimals (what the actions table stores); equal priorities are
 * ordered by customer id, so a ranking never depends on the order customers arrived in.
 */

export const PRIORITY_WEIGHTS = { clv: 0.45, churn: 0.25, fit: 0.3 } as const;

export const CHURN_TERM: Readonly<Record<CampaignType, 'risk' | 'retention'>> = {
  win_back: 'risk',
  re_engagement: 'risk',
  holiday: 'risk',
  custom: 'risk',
  new_arrival: 'retention',
};

/**
 * Segment fit by campaign type (1 = made for it). Win-back is for the lapsed (Can't Lose, At
 * Risk, Hibernating); re-engagement for the slipping (About To Sleep, Need Attention); new arrivals
 * for the engaged (Champions, Loyal); holidays reach everyone but reward engagement; custom goals
 * are free text the heuristic cannot read, so every segment fits equally.
 */
export const SEGMENT_FIT: Readonly<Record<CampaignType, Readonly<Record<string, number>>>> = {
  win_back: {
    cant_lose: 1,
    at_risk: 1,
    hibernating: 0.8,
    about_to_sleep: 0.7,
    need_attention: 0.5,
    promising: 0.3,
    loyal: 0.2,
    potential_loyalists: 0.2,
    new_customers: 0.2,
    champions: 0.1,
  },
  re_engagement: {
    about_to_sleep: 1,
    need_attention: 1,
    at_risk: 0.8,
    cant_lose: 0.7,
    promising: 0.7,
    hibernating: 0.6,
    potential_loyalists: 0.5,
    new_customers: 0.5,
    loyal: 0.3,
    champions: 0.2,
  },
  new_arrival: {
    champions: 1,
    loyal: 1,
    potential_loyalists: 0.8,
    cant_lose: 0.6,
    need_attention: 0.5,
    promising: 0.5,
    new_customers: 0.5,
    at_risk: 0.4,
    about_to_sleep: 0.3,
    hibernating: 0.2,
  },
  holiday: {
    champions: 1,
    loyal: 0.9,
    potential_loyalists: 0.8,
    cant_lose: 0.8,
    at_risk: 0.7,
    need_attention: 0.7,
    new_customers: 0.6,
    promising: 0.6,
    about_to_sleep: 0.5,
    hibernating: 0.4,
  },
  custom: {},
};

export const UNKNOWN_SEGMENT_FIT = 0.5;
export const DEFAULT_AUDIENCE_SIZE = 300;

export interface RankedCustomer {
  customer: PlanningCustomer;
  priority: number;
  /** 1-based position in the ranking. */
  rank: number;
  clvPercentile: number;
  fit: number;
}

export function segmentFit(type: CampaignType, segment: string): number {
  return SEGMENT_FIT[type][segment] ?? UNKNOWN_SEGMENT_FIT;
}

/** Every customer, highest priority first. */
export function rankCustomers(customers: readonly PlanningCustomer[], type: CampaignType): RankedCustomer[] {
  const n = customers.length;
  const sortedClv = Float64Array.from(customers, (c) => c.clv).sort();
  const scored = customers.map((customer) => {
    const below = lowerBound(sortedClv, customer.clv);
    const ties = upperBound(sortedClv, customer.clv) - below;
    const clvPercentile = n === 1 ? 1 : (below + (ties - 1) / 2) / (n - 1);
    const churn = CHURN_TERM[type] === 'risk' ? customer.churnRisk : 1 - customer.churnRisk;
    const fit = segmentFit(type, customer.segment);
    const blend = PRIORITY_WEIGHTS.clv * clvPercentile + PRIORITY_WEIGHTS.churn * churn + PRIORITY_WEIGHTS.fit * fit;
    return { customer, priority: round4(blend), rank: 0, clvPercentile, fit };
  });
  scored.sort(
    (a, b) =>
      b.priority - a.priority ||
      (a.customer.customerId < b.customer.customerId ? -1 : a.customer.customerId > b.customer.customerId ? 1 : 0),
  );
  scored.forEach((s, i) => (s.rank = i + 1));
  return scored;
}

/** The `size` highest-priority customers: the campaign's audience. */
export function selectAudience(
  candidates: readonly PlanningCustomer[],
  type: CampaignType,
  size: number = DEFAULT_AUDIENCE_SIZE,
): RankedCustomer[] {
  if (!(Number.isInteger(size) && size >= 1 && size <= MAX_AUDIENCE_SIZE)) {
    throw new RangeError(`the audience size must be a whole number from 1 to ${MAX_AUDIENCE_SIZE}, got ${size}`);
  }
  return rankCustomers(candidates, type).slice(0, size);
}

function round4(value: number): number {
  return Math.round(value * 10_000) / 10_000;
}

function lowerBound(sorted: Float64Array, value: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sorted[mid]! < value) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function upperBound(sorted: Float64Array, value: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sorted[mid]! <= value) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
