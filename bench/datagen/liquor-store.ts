import { Faker, base, en, en_US } from '@faker-js/faker';
import {
  categoryFamilies,
  detailedCategories,
  familyWeights,
  type CategoryKey,
  type DetailedCategory,
} from '../../domain/categories.ts';
import { drawConsents, drawCustomerDetails } from './customer-details.ts';
import { DAY, LocalTime } from './local-time.ts';
import { mixSeed, Random, WeightedChoice } from './random.ts';

/**
 * A synthetic liquor store: customers, their orders and consents, generated from the two models
 * the platform scores customers with, so a fit can be checked against the truth.
 *
 * - Purchases follow BG/NBD (Fader, Hardie & Lee 2005, "Counting your customers the easy way",
 *   Marketing Science 24(2)): while active a customer buys as a Poisson process of rate
 *   λ ~ Gamma(r, α) per week, and after each repeat purchase drops out for good with probability
 *   p ~ Beta(a, b). Lapsed customers are the ones who dropped out.
 * - Order values follow Gamma-Gamma (Fader, Hardie & Lee 2005, "RFM and CLV", Journal of
 *   Marketing Research 42(4)): ν ~ Gamma(q, γ) per customer, each order ~ Gamma(p, ν), so a
 *   customer's mean order value is p/ν.
 *
 * Everything derives from the seed; each customer draws from a stream of its own, so the first
 * N customers are the same whatever the customer count. Customers are yielded one at a time.
 */

export interface PurchaseModel {
  /** Shape of the purchase-rate distribution. */
  r: number;
  /** Rate of the purchase-rate distribution, per week: mean λ = r / α. */
  alpha: number;
  /** Beta parameters of the dropout probability: mean p = a / (a + b). */
  a: number;
  b: number;
}

export interface SpendModel {
  /** Shape of each order's value. */
  p: number;
  /** Shape and rate of the per-customer spend rate ν. */
  q: number;
  gamma: number;
}

/**
 * A package store. Purchase rates vary widely (r < 1): the mean is one purchase every four weeks
 * (λ = r/α = 0.24/week), half the customers buy at least every eight weeks, a quarter at least
 * every three, 3% more than weekly, and some never come back after the first visit. About one
 * repeat purchase in eleven is the last (mean p = a/(a+b) = 0.09). Orders average $45
 * (p·γ/(q−1)); one customer's orders vary by about ±45% (1/√p).
 */
export const defaultPurchaseModel: PurchaseModel = { r: 0.6, alpha: 2.5, a: 0.8, b: 8 };
export const defaultSpendModel: SpendModel = { p: 5, q: 4, gamma: 27 };

export interface LiquorStoreOptions {
  seed: number;
  customerCount: number;
  /** End of the observation window, e.g. local midnight of the day the data is "as of". */
  asOf: Date;
  /** Start of the window; defaults to two years before `asOf`. */
  start?: Date;
  /** The store's IANA time zone; order times are local to it. */
  timeZone?: string;
  /** Share of the window in which customers make their first purchase. */
  acquisitionShare?: number;
  purchaseModel?: Partial<PurchaseModel>;
  spendModel?: Partial<SpendModel>;
}

export interface ResolvedLiquorStoreOptions {
  seed: number;
  customerCount: number;
  start: Date;
  end: Date;
  timeZone: string;
  acquisitionShare: number;
  purchaseModel: PurchaseModel;
  spendModel: SpendModel;
}

/** A `customers` row. Timestamps are ISO 8601 with the store's UTC offset. */
export interface CustomerRow {
  id: string;
  external_id: string;
  email: string | null;
  phone: string | null;
  first_name: string;
  last_name: string;
  date_of_birth: string | null;
  age_verified: boolean;
  country: string;
  region: string;
  postal_code: string;
  time_zone: string;
  created_at: string;
  updated_at: string;
}

/** An `orders` row; `total` is a decimal string, as `numeric` comes back from Postgres. */
export interface OrderRow {
  id: string;
  external_id: string;
  customer_id: string;
  ordered_at: string;
  total: string;
  currency: string;
  category: string;
  item_count: number;
  channel: string;
  created_at: string;
}

export interface ConsentRow {
  id: string;
  customer_id: string;
  channel: 'email' | 'sms';
  status: 'opted_in' | 'opted_out';
  source: string;
  recorded_at: string;
  evidence: Record<string, string>;
}

/** What generated the rows, for checking that a model fitted to them recovers it. Never stored. */
export interface CustomerTruth {
  externalId: string;
  /** λ: purchases per week while active. */
  purchaseRatePerWeek: number;
  /** p: chance of dropping out after each repeat purchase. */
  dropoutProbability: number;
  aliveAtEnd: boolean;
  /** ν: the customer's Gamma-Gamma spend rate; mean order value = spendModel.p / ν. */
  spendRate: number;
  meanOrderValue: number;
  /** Orders from the purchase process; the others are same-day extras and $0 returns or comps. */
  modelOrderCount: number;
  firstPurchaseAt: Date;
  nightBuyer: boolean;
  primaryFamily: CategoryKey;
}

export interface GeneratedCustomer {
  customer: CustomerRow;
  /** Oldest first. */
  orders: OrderRow[];
  consents: ConsentRow[];
  truth: CustomerTruth;
}

export interface LiquorStore {
  options: ResolvedLiquorStoreOptions;
  /** A fresh, identical pass over the customers on every call. */
  customers(): Generator<GeneratedCustomer>;
  batches(size: number): Generator<GeneratedCustomer[]>;
}

const WEEK = 7 * DAY;
export const nightBuyerShare = 0.25;
export const sameDayRepeatChance = 0.03;
export const zeroValueChance = 0.006;

// Orders per hour of the local day. Day buyers shop 10:00–19:00 with an after-work peak; night
// buyers 19:00–03:00 (hours 0–2 belong to the evening before).
const hourWeights = (weights: Record<number, number>) =>
  new WeightedChoice(Object.entries(weights).map(([h, w]) => [Number(h), w] as const));
const dayHours = hourWeights({
  9: 1,
  10: 3,
  11: 4,
  12: 6,
  13: 5,
  14: 5,
  15: 6,
  16: 8,
  17: 10,
  18: 10,
  19: 4,
  20: 2,
  21: 1,
});
const nightHours = hourWeights({
  ...{ 10: 1, 11: 1, 12: 1, 13: 1, 14: 1, 15: 2, 16: 2, 17: 3, 18: 3 },
  ...{ 19: 10, 20: 14, 21: 14, 22: 12, 23: 10, 0: 8, 1: 6, 2: 4 },
});
const orderChannels = new WeightedChoice([
  ['in_store', 86],
  ['online', 9],
  ['delivery', 5],
] as const);
// A rough shelf price per item, to turn an order's value into a plausible item count.
const unitPrice = (family: CategoryKey) => (family === 'beer_seltzer' ? 14 : family === 'wine' ? 16 : 22);

const familyChoice = new WeightedChoice(categoryFamilies.map(({ key }) => [key, familyWeights[key]] as const));
const withinFamily = new Map(
  categoryFamilies.map(({ key }) => [
    key,
    new WeightedChoice(detailedCategories.filter((c) => c.family === key).map((c) => [c, c.weight] as const)),
  ]),
);

export function resolveOptions(options: LiquorStoreOptions): ResolvedLiquorStoreOptions {
  const { seed, customerCount, asOf } = options;
  if (!Number.isSafeInteger(seed)) throw new RangeError(`seed must be an integer, got ${seed}`);
  if (!Number.isSafeInteger(customerCount) || customerCount < 0) {
    throw new RangeError(`customerCount must be a whole number, got ${customerCount}`);
  }
  if (!(asOf instanceof Date) || Number.isNaN(asOf.getTime())) throw new RangeError('asOf must be a valid Date');
  const start = options.start ?? new Date(asOf);
  if (!options.start) start.setUTCFullYear(start.getUTCFullYear() - 2);
  if (!(start.getTime() < asOf.getTime())) throw new RangeError('the window must start before asOf');
  const acquisitionShare = options.acquisitionShare ?? 0.5;
  if (!(acquisitionShare > 0 && acquisitionShare <= 1)) throw new RangeError('acquisitionShare must be in (0, 1]');
  const purchaseModel = { ...defaultPurchaseModel, ...options.purchaseModel };
  const spendModel = { ...defaultSpendModel, ...options.spendModel };
  for (const [name, value] of Object.entries({ ...purchaseModel, ...spendModel })) {
    if (!(value > 0 && Number.isFinite(value))) throw new RangeError(`model parameter ${name} must be positive`);
  }
  const timeZone = options.timeZone ?? 'America/Chicago';
  new LocalTime(timeZone); // fails early on an unknown zone
  return { seed, customerCount, start, end: new Date(asOf), timeZone, acquisitionShare, purchaseModel, spendModel };
}

/** Cents, rounded, as a decimal string; never below a cent for a purchase. */
function money(value: number): string {
  const cents = Math.max(1, Math.round(value * 100));
  return `${Math.floor(cents / 100)}.${String(cents % 100).padStart(2, '0')}`;
}

interface Purchase {
  at: number;
  total: string;
  category: DetailedCategory;
}

function* generateCustomers(o: ResolvedLiquorStoreOptions): Generator<GeneratedCustomer> {
  const clock = new LocalTime(o.timeZone);
  const start = o.start.getTime();
  const end = o.end.getTime();
  const acquisitionEnd = start + o.acquisitionShare * (end - start);
  const { r, alpha, a, b } = o.purchaseModel;
  const spend = o.spendModel;
  // Faker draws in customer order; it only names people, so a customer's draws never depend on the window.
  const faker = new Faker({ locale: [en_US, en, base] });
  faker.seed(mixSeed(o.seed, 0xfa4e));
  let orderNumber = 0;
  const today = Math.floor(clock.toWall(end) / DAY);

  for (let n = 1; n <= o.customerCount; n++) {
    const random = new Random(mixSeed(o.seed, n));
    const customerId = random.uuid();
    const externalId = `C${String(n).padStart(6, '0')}`;
    const details = drawCustomerDetails(random, faker, n, o.seed, today);

    const lambda = random.gamma(r, alpha);
    const dropout = random.beta(a, b);
    const spendRate = random.gamma(spend.q, spend.gamma);
    const night = random.chance(nightBuyerShare);
    const hours = night ? nightHours : dayHours;
    const primary = familyChoice.draw(random);
    const favourite = withinFamily.get(primary)!.draw(random);
    const loyalty = random.uniform(0.45, 0.9);

    const category = (): DetailedCategory => {
      if (!random.chance(loyalty)) return withinFamily.get(familyChoice.draw(random))!.draw(random);
      return random.chance(0.6) ? favourite : withinFamily.get(primary)!.draw(random);
    };
    /** The process gives the day; the customer's habits give the time of day. */
    const timeOfDay = (instant: number): number => {
      const hour = hours.draw(random);
      const seconds = random.int(0, 3599);
      const dayStart = clock.startOfLocalDay(instant);
      const at = clock.toInstant(dayStart + (hour < 4 ? DAY : 0) + hour * 3_600_000 + seconds * 1000);
      return at >= start && at < end ? at : Math.floor(instant / 1000) * 1000;
    };
    const purchase = (instant: number, scale = 1): Purchase => ({
      at: instant,
      total: money(scale * random.gamma(spend.p, spendRate)),
      category: category(),
    });

    const first = timeOfDay(random.uniform(start, acquisitionEnd));
    const purchases: Purchase[] = [purchase(first)];
    let alive = true;
    for (let t = first; ;) {
      t += random.exponential(lambda) * WEEK;
      if (t >= end) break;
      const at = timeOfDay(t);
      purchases.push(purchase(at));
      if (random.chance(dropout)) {
        alive = false;
        break;
      }
    }
    const modelOrderCount = purchases.length;

    // Noise the models do not describe, kept on the purchase's local day so that a daily
    // aggregation (as BG/NBD fits use) still sees the process: coming back for something
    // forgotten, and $0 returns or comps.
    const extras: Purchase[] = [];
    const sameDay = (at: number): number => {
      const wall = clock.toWall(at);
      const dayStart = clock.startOfLocalDay(at);
      const after = dayStart + DAY - 60_000 - wall;
      const gap = random.uniform(20, 180) * 60_000;
      const moved = after >= 20 * 60_000 ? wall + Math.min(gap, after) : Math.max(dayStart, wall - gap);
      const instant = Math.floor(clock.toInstant(moved) / 1000) * 1000;
      return instant >= start && instant < end ? instant : at;
    };
    for (const p of purchases) {
      if (random.chance(sameDayRepeatChance)) extras.push(purchase(sameDay(p.at), 0.4));
      if (random.chance(zeroValueChance)) extras.push({ at: sameDay(p.at), total: '0.00', category: p.category });
    }

    const all = [...purchases, ...extras].sort((x, y) => x.at - y.at);
    const orders: OrderRow[] = all.map((p) => {
      const ordered = clock.format(p.at);
      const value = Number(p.total);
      const items =
        value === 0 ? 1 : Math.max(1, Math.round((value / unitPrice(p.category.family)) * random.uniform(0.8, 1.2)));
      return {
        id: random.uuid(),
        external_id: `O${String(++orderNumber).padStart(7, '0')}`,
        customer_id: customerId,
        ordered_at: ordered,
        total: p.total,
        currency: 'USD',
        category: p.category.name,
        item_count: items,
        channel: orderChannels.draw(random),
        created_at: ordered,
      };
    });

    const firstAt = all[0]!.at;
    const consents = drawConsents(random, customerId, details, firstAt, end, clock);
    const lastActivity = Math.max(all.at(-1)!.at, ...consents.map((c) => Date.parse(c.recorded_at)));
    yield {
      customer: {
        id: customerId,
        external_id: externalId,
        ...details,
        country: 'US',
        time_zone: o.timeZone,
        created_at: clock.format(firstAt),
        updated_at: clock.format(lastActivity),
      },
      orders,
      consents,
      truth: {
        externalId,
        purchaseRatePerWeek: lambda,
        dropoutProbability: dropout,
        aliveAtEnd: alive,
        spendRate,
        meanOrderValue: spend.p / spendRate,
        modelOrderCount,
        firstPurchaseAt: new Date(firstAt),
        nightBuyer: night,
        primaryFamily: primary,
      },
    };
  }
}

export function generateLiquorStore(options: LiquorStoreOptions): LiquorStore {
  const resolved = resolveOptions(options);
  return {
    options: resolved,
    customers: () => generateCustomers(resolved),
    *batches(size: number) {
      if (!(Number.isSafeInteger(size) && size > 0)) throw new RangeError('batch size must be a positive integer');
      let batch: GeneratedCustomer[] = [];
      for (const c of generateCustomers(resolved)) {
        batch.push(c);
        if (batch.length === size) {
          yield batch;
          batch = [];
        }
      }
      if (batch.length) yield batch;
    },
  };
}
