/** Shapes of the analytics API (api/routes/analytics.ts, api/data/analytics.ts) and their arithmetic. */

export interface DailyPoint {
  day: string;
  sent: number;
  delivered: number;
  opened: number;
  clicked: number;
  failed: number;
  converted: number;
  revenue: string;
}

export interface FunnelRow {
  campaignId: string;
  planned: number;
  sent: number;
  delivered: number;
  opened: number;
  clicked: number;
  failed: number;
  converted: number;
  revenue: string;
}

export interface CampaignComparison extends FunnelRow {
  name: string;
  type: string;
  status: string;
  startsOn: string;
  rates: { delivery: number | null; open: number | null; click: number | null; conversion: number | null };
  revenuePerSend: number | null;
}

export interface Interval {
  estimate: number;
  low: number | null;
  high: number | null;
  standardError: number | null;
}

export interface HoldoutResults {
  campaignId: string;
  holdoutShare: number;
  measuredFrom: string;
  measuredUntil: string;
  method: string;
  treated: { customers: number; conversionRate: number; revenuePerCustomer: number; revenue: number };
  holdout: { customers: number; conversionRate: number; revenuePerCustomer: number; revenue: number };
  conversionLift: Interval & { relative: number | null };
  revenuePerCustomerLift: Interval & { relative: number | null; degreesOfFreedom: number | null };
  incrementalRevenue: Interval;
}

export const funnelStages = ['planned', 'sent', 'delivered', 'opened', 'clicked', 'converted'] as const;

/** Each funnel stage with its count and its share of the stage before (null for the first or after a zero). */
export function funnelSteps(
  row: FunnelRow,
): { stage: (typeof funnelStages)[number]; count: number; ofPrevious: number | null }[] {
  return funnelStages.map((stage, i) => {
    const count = row[stage];
    const before = i > 0 ? row[funnelStages[i - 1]!] : 0;
    return { stage, count, ofPrevious: i > 0 && before > 0 ? count / before : null };
  });
}

/** The API's days as chart points: a Date for the x axis (local midnight, so the label is that day). */
export function chartPoints(days: DailyPoint[]) {
  return days.map((d) => {
    const [y, m, day] = d.day.split('-').map(Number) as [number, number, number];
    return { ...d, date: new Date(y, m - 1, day), revenue: Number(d.revenue) };
  });
}

/** Whether a lift's 95 % interval excludes zero: the campaign measurably changed the outcome. */
export function significant(i: Interval): boolean {
  return i.low !== null && i.high !== null && (i.low > 0 || i.high < 0);
}

/** A YYYY-MM-DD this many days before `to`. */
export function daysBefore(to: string, days: number): string {
  return new Date(Date.parse(`${to}T00:00:00Z`) - days * 86_400_000).toISOString().slice(0, 10);
}
