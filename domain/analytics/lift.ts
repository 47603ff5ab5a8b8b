/**
 * Incremental lift of a campaign: treated customers against its holdout.
 *
 * - Conversion: the share of customers with an order in the measurement window. Lift is the
 *   difference of the two proportions, with the unpooled (Wald) standard error
 *   √(p₁(1−p₁)/n₁ + p₀(1−p₀)/n₀).
 * - Revenue per customer: the mean order revenue per customer, zeros included. Lift is the
 *   difference of the means, with Welch's standard error √(s₁²/n₁ + s₀²/n₀) (sample variances,
 *   no assumption of equal variances) and the Welch–Satterthwaite degrees of freedom.
 *
 * Both intervals are estimate ± z₀.₉₇₅ · SE with z₀.₉₇₅ = 1.959964 (normal approximation; with
 * hundreds of customers per group the t quantile differs in the third decimal). Relative lift
 * is the difference over the holdout's value (null when that is 0). A group of fewer than 2
 * customers has no standard error: its interval is null.
 */

export const Z_95 = 1.959963984540054;

export interface GroupSummary {
  /** Customers in the group. */
  customers: number;
  /** Customers with at least one order in the window. */
  converters: number;
  /** Sum of their revenue. */
  revenue: number;
  /** Sum of squared per-customer revenue, for the variance. */
  revenueSquares: number;
}

export interface Interval {
  estimate: number;
  low: number | null;
  high: number | null;
  standardError: number | null;
}

export interface LiftResult {
  treated: { customers: number; conversionRate: number; revenuePerCustomer: number; revenue: number };
  holdout: { customers: number; conversionRate: number; revenuePerCustomer: number; revenue: number };
  conversionLift: Interval & { relative: number | null };
  revenuePerCustomerLift: Interval & { relative: number | null; degreesOfFreedom: number | null };
  /** Revenue the campaign caused: the lift per customer times the treated customers. */
  incrementalRevenue: Interval;
}

const mean = (g: GroupSummary) => (g.customers > 0 ? g.revenue / g.customers : 0);
const rate = (g: GroupSummary) => (g.customers > 0 ? g.converters / g.customers : 0);

/** Sample variance (n − 1) of per-customer revenue from its sums. */
export function revenueVariance(g: GroupSummary): number | null {
  if (g.customers < 2) return null;
  const m = mean(g);
  return Math.max(0, (g.revenueSquares - g.customers * m * m) / (g.customers - 1));
}

const interval = (estimate: number, se: number | null): Interval => ({
  estimate,
  standardError: se,
  low: se === null ? null : estimate - Z_95 * se,
  high: se === null ? null : estimate + Z_95 * se,
});

const relative = (diff: number, base: number) => (base === 0 ? null : diff / base);

export function liftOf(treated: GroupSummary, holdout: GroupSummary): LiftResult {
  const p1 = rate(treated);
  const p0 = rate(holdout);
  const pSe =
    treated.customers >= 2 && holdout.customers >= 2
      ? Math.sqrt((p1 * (1 - p1)) / treated.customers + (p0 * (1 - p0)) / holdout.customers)
      : null;

  const m1 = mean(treated);
  const m0 = mean(holdout);
  const v1 = revenueVariance(treated);
  const v0 = revenueVariance(holdout);
  let mSe: number | null = null;
  let df: number | null = null;
  if (v1 !== null && v0 !== null) {
    const a = v1 / treated.customers;
    const b = v0 / holdout.customers;
    mSe = Math.sqrt(a + b);
    const denom = (a * a) / (treated.customers - 1) + (b * b) / (holdout.customers - 1);
    df = denom > 0 ? ((a + b) * (a + b)) / denom : null;
  }
  const perCustomer = interval(m1 - m0, mSe);
  const summary = (g: GroupSummary) => ({
    customers: g.customers,
    conversionRate: rate(g),
    revenuePerCustomer: mean(g),
    revenue: g.revenue,
  });
  return {
    treated: summary(treated),
    holdout: summary(holdout),
    conversionLift: { ...interval(p1 - p0, pSe), relative: relative(p1 - p0, p0) },
    revenuePerCustomerLift: { ...perCustomer, relative: relative(m1 - m0, m0), degreesOfFreedom: df },
    incrementalRevenue: interval(
      perCustomer.estimate * treated.customers,
      mSe === null ? null : mSe * treated.customers,
    ),
  };
}
