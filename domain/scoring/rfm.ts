/**
 * RFM: recency, frequency and monetary quintile scores 1–5 across the customer base, and a named
 * segment from the recency × frequency grid below (monetary is scored but does not pick the
 * segment).
 *
 * Quintiles with ties: a customer's score is 1 + ⌊5 · (share of customers strictly worse)⌋, so
 * equal values always get equal scores and the lowest value always scores 1. With 60% one-time
 * buyers, all of them get F = 1 and two-time buyers, who beat 60%, get F = 4: scores 2 and 3 go
 * unused rather than splitting identical customers at random.
 */
import { ScoringInputError } from './history.ts';

export const RFM_SEGMENTS = [
  { key: 'champions', label: 'Champions' },
  { key: 'loyal', label: 'Loyal' },
  { key: 'potential_loyalists', label: 'Potential Loyalists' },
  { key: 'new_customers', label: 'New Customers' },
  { key: 'promising', label: 'Promising' },
  { key: 'need_attention', label: 'Need Attention' },
  { key: 'about_to_sleep', label: 'About To Sleep' },
  { key: 'at_risk', label: 'At Risk' },
  { key: 'cant_lose', label: "Can't Lose" },
  { key: 'hibernating', label: 'Hibernating' },
] as const;

export type RfmSegmentKey = (typeof RFM_SEGMENTS)[number]['key'];

export const RFM_SEGMENT_LABELS: Readonly<Record<RfmSegmentKey, string>> = Object.fromEntries(
  RFM_SEGMENTS.map((s) => [s.key, s.label]),
) as Record<RfmSegmentKey, string>;

/**
 * The segment of every (R, F) pair: rows are R = 1..5, columns F = 1..5. Champions bought
 * recently and often; Can't Lose bought often but long ago; New Customers bought recently, once.
 */
export const RFM_SEGMENT_GRID: readonly (readonly RfmSegmentKey[])[] = [
  /* R=1 */ ['hibernating', 'hibernating', 'at_risk', 'at_risk', 'cant_lose'],
  /* R=2 */ ['hibernating', 'hibernating', 'at_risk', 'at_risk', 'cant_lose'],
  /* R=3 */ ['about_to_sleep', 'about_to_sleep', 'need_attention', 'loyal', 'loyal'],
  /* R=4 */ ['promising', 'potential_loyalists', 'potential_loyalists', 'loyal', 'loyal'],
  /* R=5 */ ['new_customers', 'potential_loyalists', 'potential_loyalists', 'champions', 'champions'],
];

export function rfmSegment(recency: number, frequency: number): RfmSegmentKey {
  const segment = RFM_SEGMENT_GRID[recency - 1]?.[frequency - 1];
  if (!segment) throw new ScoringInputError(`RFM scores must be whole numbers 1–5, got R=${recency} F=${frequency}`);
  return segment;
}

export interface RfmInput {
  daysSinceLastPurchase: number;
  /** Purchase days (same-day orders are one purchase), at least 1. */
  purchases: number;
  totalSpent: number;
}

export interface RfmColumns {
  daysSinceLastPurchase: ArrayLike<number>;
  purchases: ArrayLike<number>;
  totalSpent: ArrayLike<number>;
}

export interface RfmScore {
  recency: number;
  frequency: number;
  monetary: number;
  segment: RfmSegmentKey;
}

const SEGMENT_INDEX = new Map<RfmSegmentKey, number>(RFM_SEGMENTS.map((s, i) => [s.key, i]));

/** Scores for a whole customer base as typed arrays; `segment` indexes RFM_SEGMENTS. */
export function scoreRfmColumns(columns: RfmColumns): {
  recency: Uint8Array;
  frequency: Uint8Array;
  monetary: Uint8Array;
  segment: Uint8Array;
} {
  const n = columns.purchases.length;
  if (columns.daysSinceLastPurchase.length !== n || columns.totalSpent.length !== n) {
    throw new ScoringInputError('recency, purchases and total spent must have one entry per customer');
  }
  for (let i = 0; i < n; i++) {
    const days = columns.daysSinceLastPurchase[i]!;
    const purchases = columns.purchases[i]!;
    const spent = columns.totalSpent[i]!;
    if (!(Number.isFinite(days) && days >= 0)) {
      throw new ScoringInputError(`days since the last purchase must be non-negative, got ${days} (customer ${i})`);
    }
    if (!(Number.isInteger(purchases) && purchases >= 1)) {
      throw new ScoringInputError(`only customers with purchases get RFM scores, got ${purchases} (customer ${i})`);
    }
    if (!(Number.isFinite(spent) && spent >= 0)) {
      throw new ScoringInputError(`total spent must be a non-negative amount, got ${spent} (customer ${i})`);
    }
  }
  const recency = quintileScores(columns.daysSinceLastPurchase, 'lower_is_better');
  const frequency = quintileScores(columns.purchases, 'higher_is_better');
  const monetary = quintileScores(columns.totalSpent, 'higher_is_better');
  const segment = new Uint8Array(n);
  const bySegment = RFM_SEGMENT_GRID.map((row) => row.map((key) => SEGMENT_INDEX.get(key)!));
  for (let i = 0; i < n; i++) segment[i] = bySegment[recency[i]! - 1]![frequency[i]! - 1]!;
  return { recency, frequency, monetary, segment };
}

export function scoreRfm(customers: readonly RfmInput[]): RfmScore[] {
  const scores = scoreRfmColumns({
    daysSinceLastPurchase: customers.map((c) => c.daysSinceLastPurchase),
    purchases: customers.map((c) => c.purchases),
    totalSpent: customers.map((c) => c.totalSpent),
  });
  return customers.map((_, i) => ({
    recency: scores.recency[i]!,
    frequency: scores.frequency[i]!,
    monetary: scores.monetary[i]!,
    segment: RFM_SEGMENTS[scores.segment[i]!]!.key,
  }));
}

/**
 * 1 + ⌊5 · (share strictly worse)⌋ for each value. One sort finds the four values where the score
 * steps up; each customer is then four comparisons, not a search.
 */
export function quintileScores(
  values: ArrayLike<number>,
  direction: 'higher_is_better' | 'lower_is_better',
): Uint8Array {
  const n = values.length;
  const sign = direction === 'higher_is_better' ? 1 : -1;
  const sorted = Float64Array.from(values, (v) => sign * v).sort();
  // cuts[s−2]: the smallest value with at least (s−1)/5 of the customers strictly below it.
  const cuts = [1, 2, 3, 4].map((step) => {
    let at = Math.ceil((step * n) / 5);
    // Inside a run of ties fewer are strictly below: the score starts at the next distinct value.
    while (at > 0 && at < n && sorted[at - 1] === sorted[at]) at++;
    return at < n ? sorted[at]! : Infinity;
  });
  const [c2, c3, c4, c5] = cuts as [number, number, number, number];
  const scores = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const v = sign * values[i]!;
    scores[i] = v >= c5 ? 5 : v >= c4 ? 4 : v >= c3 ? 3 : v >= c2 ? 2 : 1;
  }
  return scores;
}
