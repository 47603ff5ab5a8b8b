/**
 * The reference definition of a customer's summary features, computed from their orders. In
 * production the same features come from SQL over the orders table; this function is what that
 * SQL must agree with, and what the tests pin.
 *
 * Rules (they reproduce the CDNOW summaries of Fader, Hardie & Lee):
 * - Days are calendar days in the store's time zone. Orders on the same day are one purchase,
 *   their totals summed; x counts the purchase days after the first.
 * - Times are whole days: t_x = last − first purchase day, T = the as-of day − first purchase
 *   day, divided by 7 for weeks. Orders after `asOf` are ignored.
 * - Zero-value orders (comped, fully discounted) are purchases — the customer came back — but not
 *   spend: the mean repeat spend averages only repeat days with a positive total, and
 *   `paidRepeatPurchases` counts those days. The average order value is revenue per order and
 *   does include them.
 * - The next purchase is expected one average gap (t_x / x, in days) after the last purchase
 *   day; it can lie before the as-of day, meaning the customer is overdue. None for one-time
 *   buyers, who have no gap yet.
 */
import { ScoringInputError, type ModelTimeUnit, type PurchaseHistory } from './history.ts';

export interface Order {
  orderedAt: Date;
  total: number;
  category?: string | null;
}

export interface NightWindow {
  /** Local hour the window opens, 0–23. */
  fromHour: number;
  /** Local hour it closes (exclusive); smaller than fromHour when the window spans midnight. */
  toHour: number;
}

export const DEFAULT_NIGHT_WINDOW: NightWindow = { fromHour: 20, toHour: 4 };
/** A night buyer places at least this share of their orders in the night window. */
export const DEFAULT_NIGHT_BUYER_SHARE = 0.5;

export interface SummaryOptions {
  asOf: Date;
  /** The store's IANA time zone, e.g. "America/Chicago". */
  timeZone: string;
  unit: ModelTimeUnit;
  nightWindow?: NightWindow;
  nightBuyerShare?: number;
}

/** x, t_x and T as the purchase model sees them, in `unit`; the rest is for segments and the UI. */
export interface CustomerSummary extends PurchaseHistory {
  unit: ModelTimeUnit;
  orders: number;
  firstPurchaseOn: string;
  lastPurchaseOn: string;
  daysSinceLastPurchase: number;
  totalSpent: number;
  averageOrderValue: number;
  paidRepeatPurchases: number;
  meanRepeatSpend: number;
  /** The category with the largest share of spend (of orders, if nothing was spent). */
  primaryCategory: string | null;
  nightOrderShare: number;
  nightBuyer: boolean;
  nextPurchaseExpectedOn: string | null;
}

const DAYS_PER_UNIT: Record<ModelTimeUnit, number> = { days: 1, weeks: 7 };
const MS_PER_DAY = 86_400_000;

/** The customer's summary as of `asOf`, or null when they had no order by then. */
export function summariseOrders(orders: readonly Order[], options: SummaryOptions): CustomerSummary | null {
  const { asOf, timeZone, unit } = options;
  const nightWindow = options.nightWindow ?? DEFAULT_NIGHT_WINDOW;
  const nightBuyerShare = options.nightBuyerShare ?? DEFAULT_NIGHT_BUYER_SHARE;
  checkOptions(options, nightWindow, nightBuyerShare);
  const clock = localClock(timeZone);
  const asOfDay = clock(asOf).day;

  const spendByDay = new Map<number, number>();
  const spendByCategory = new Map<string, { spent: number; orders: number }>();
  let counted = 0;
  let totalSpent = 0;
  let nightOrders = 0;
  for (const [i, order] of orders.entries()) {
    const at = order.orderedAt.getTime();
    if (!Number.isFinite(at)) throw new ScoringInputError(`order ${i} has an invalid date`);
    if (!(Number.isFinite(order.total) && order.total >= 0)) {
      throw new ScoringInputError(`order ${i} has a negative or missing total (${order.total}); net refunds first`);
    }
    if (at > asOf.getTime()) continue;
    const { day, hour } = clock(order.orderedAt);
    counted++;
    totalSpent += order.total;
    spendByDay.set(day, (spendByDay.get(day) ?? 0) + order.total);
    if (isNight(hour, nightWindow)) nightOrders++;
    if (order.category) {
      const category = spendByCategory.get(order.category) ?? { spent: 0, orders: 0 };
      category.spent += order.total;
      category.orders++;
      spendByCategory.set(order.category, category);
    }
  }
  if (counted === 0) return null;

  const days = [...spendByDay.keys()].sort((a, b) => a - b);
  const first = days[0]!;
  const last = days.at(-1)!;
  const x = days.length - 1;
  let paidRepeatPurchases = 0;
  let repeatSpend = 0;
  for (const day of days.slice(1)) {
    const spent = spendByDay.get(day)!;
    if (spent > 0) {
      paidRepeatPurchases++;
      repeatSpend += spent;
    }
  }
  const nightOrderShare = nightOrders / counted;
  return {
    unit,
    x,
    tx: (last - first) / DAYS_PER_UNIT[unit],
    T: (asOfDay - first) / DAYS_PER_UNIT[unit],
    orders: counted,
    firstPurchaseOn: isoDate(first),
    lastPurchaseOn: isoDate(last),
    daysSinceLastPurchase: asOfDay - last,
    totalSpent: roundCents(totalSpent),
    averageOrderValue: totalSpent / counted,
    paidRepeatPurchases,
    meanRepeatSpend: paidRepeatPurchases > 0 ? repeatSpend / paidRepeatPurchases : 0,
    primaryCategory: primaryCategory(spendByCategory),
    nightOrderShare,
    nightBuyer: nightOrderShare >= nightBuyerShare,
    nextPurchaseExpectedOn: x > 0 ? isoDate(last + Math.round((last - first) / x)) : null,
  };
}

function checkOptions(options: SummaryOptions, nightWindow: NightWindow, nightBuyerShare: number): void {
  if (!Number.isFinite(options.asOf.getTime())) throw new ScoringInputError('asOf is an invalid date');
  if (!Object.hasOwn(DAYS_PER_UNIT, options.unit))
    throw new ScoringInputError(`unknown time unit ${String(options.unit)}`);
  for (const hour of [nightWindow.fromHour, nightWindow.toHour]) {
    if (!(Number.isInteger(hour) && hour >= 0 && hour <= 23)) {
      throw new ScoringInputError(`night window hours must be whole hours 0–23, got ${hour}`);
    }
  }
  if (nightWindow.fromHour === nightWindow.toHour) throw new ScoringInputError('the night window is empty');
  if (!(nightBuyerShare > 0 && nightBuyerShare <= 1)) {
    throw new ScoringInputError(`the night buyer share must be in (0, 1], got ${nightBuyerShare}`);
  }
}

function isNight(hour: number, { fromHour, toHour }: NightWindow): boolean {
  return fromHour < toHour ? hour >= fromHour && hour < toHour : hour >= fromHour || hour < toHour;
}

function primaryCategory(byCategory: Map<string, { spent: number; orders: number }>): string | null {
  let best: [string, { spent: number; orders: number }] | null = null;
  for (const entry of byCategory) {
    const [name, { spent, orders }] = entry;
    if (
      !best ||
      spent > best[1].spent ||
      (spent === best[1].spent && (orders > best[1].orders || (orders === best[1].orders && name < best[0])))
    ) {
      best = entry;
    }
  }
  return best?.[0] ?? null;
}

const clocks = new Map<string, (at: Date) => { day: number; hour: number }>();

/** The local calendar day (days since 1970-01-01) and hour of an instant in a time zone. */
function localClock(timeZone: string): (at: Date) => { day: number; hour: number } {
  let clock = clocks.get(timeZone);
  if (clock) return clock;
  let format: Intl.DateTimeFormat;
  try {
    format = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
    });
  } catch {
    throw new ScoringInputError(`unknown time zone ${timeZone}`);
  }
  clock = (at) => {
    const part: Record<string, number> = {};
    for (const p of format.formatToParts(at)) if (p.type !== 'literal') part[p.type] = Number(p.value);
    return { day: Date.UTC(part.year!, part.month! - 1, part.day!) / MS_PER_DAY, hour: part.hour! };
  };
  clocks.set(timeZone, clock);
  return clock;
}

function isoDate(day: number): string {
  return new Date(day * MS_PER_DAY).toISOString().slice(0, 10);
}

function roundCents(amount: number): number {
  return Math.round(amount * 100) / 100;
}
