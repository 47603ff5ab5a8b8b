import { beforeAll, describe, expect, it } from 'vitest';
import { categoryFamily } from '../../domain/categories.ts';
import { generateLiquorStore, type GeneratedCustomer, type LiquorStoreOptions } from './liquor-store.ts';
import { LocalTime } from './local-time.ts';

// Local midnight in Des Moines: the data is "as of" the start of 2026-11-27.
const asOf = new Date('2026-11-27T06:00:00Z');
const base: LiquorStoreOptions = { seed: 42, customerCount: 5_000, asOf };
const clock = new LocalTime('America/Chicago');
const years = (ms: number) => ms / (365.2425 * 24 * 3_600_000);
const localHour = (iso: string) => Number(iso.slice(11, 13));
const isNightHour = (hour: number) => hour >= 19 || hour < 3;
const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const isoWithOffset = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d$/;

const share = (customers: GeneratedCustomer[], test: (c: GeneratedCustomer) => boolean) =>
  customers.filter(test).length / customers.length;
const latestConsent = (c: GeneratedCustomer, channel: 'email' | 'sms') =>
  c.consents.filter((x) => x.channel === channel).at(-1)?.status;

describe('the synthetic liquor store', () => {
  let customers: GeneratedCustomer[];
  let orders: GeneratedCustomer['orders'];
  beforeAll(() => {
    customers = [...generateLiquorStore(base).customers()];
    orders = customers.flatMap((c) => c.orders);
  });

  it('is the same store for the same seed, and a different one for another seed', () => {
    const again = [...generateLiquorStore(base).batches(700)].flat();
    expect(again).toEqual(customers);
    const other = [...generateLiquorStore({ ...base, seed: 43, customerCount: 50 }).customers()];
    expect(other.map((c) => c.customer.email)).not.toEqual(customers.slice(0, 50).map((c) => c.customer.email));
    expect(other.map((c) => c.orders.length)).not.toEqual(customers.slice(0, 50).map((c) => c.orders.length));
  });

  it('keeps the first customers the same whatever the customer count', () => {
    const fewer = [...generateLiquorStore({ ...base, customerCount: 30 }).customers()];
    expect(fewer).toEqual(customers.slice(0, 30));
  });

  it('numbers customers and orders with unique external ids and uuids', () => {
    expect(customers[0]!.customer.external_id).toBe('C000001');
    expect(customers.at(-1)!.customer.external_id).toBe('C005000');
    expect(orders[0]!.external_id).toBe('O0000001');
    expect(orders.map((o) => o.external_id)).toEqual(orders.map((_, i) => `O${String(i + 1).padStart(7, '0')}`));
    const ids = [
      ...customers.map((c) => c.customer.id),
      ...orders.map((o) => o.id),
      ...customers.flatMap((c) => c.consents.map((x) => x.id)),
    ];
    expect(new Set(ids).size).toBe(ids.length);
    for (const id of ids.slice(0, 2_000)) expect(id).toMatch(uuid);
  });

  it('averages about ten orders of about $45 per customer', () => {
    expect(orders.length / customers.length).toBeGreaterThan(7);
    expect(orders.length / customers.length).toBeLessThan(14);
    const paid = orders.map((o) => Number(o.total)).filter((v) => v > 0);
    const mean = paid.reduce((a, b) => a + b, 0) / paid.length;
    expect(mean).toBeGreaterThan(35);
    expect(mean).toBeLessThan(60);
  });

  it('writes money as decimal strings with two places, and a few $0 returns or comps', () => {
    for (const o of orders) expect(o.total).toMatch(/^\d+\.\d\d$/);
    const zero = orders.filter((o) => o.total === '0.00').length / orders.length;
    expect(zero).toBeGreaterThan(0.002);
    expect(zero).toBeLessThan(0.015);
  });

  it('puts every order inside the window, oldest first, from the customer’s first purchase on', () => {
    for (const c of customers) {
      const times = c.orders.map((o) => Date.parse(o.ordered_at));
      expect(times).toEqual([...times].sort((a, b) => a - b));
      expect(times[0]).toBe(c.truth.firstPurchaseAt.getTime());
      expect(Date.parse(c.customer.created_at)).toBe(times[0]);
      expect(times[0]).toBeGreaterThanOrEqual(Date.parse('2024-11-27T06:00:00Z'));
      expect(times.at(-1)).toBeLessThan(asOf.getTime());
      for (const o of c.orders) {
        expect(o.customer_id).toBe(c.customer.id);
        expect(o.ordered_at).toMatch(isoWithOffset);
      }
    }
  });

  it('acquires customers in the first half of the window', () => {
    const halfway = Date.parse('2025-11-27T06:00:00Z');
    const late = customers.filter((c) => c.truth.firstPurchaseAt.getTime() > halfway + 24 * 3_600_000);
    expect(late).toEqual([]);
  });

  it('stores order times in the store’s local time, with the right UTC offset', () => {
    for (const o of orders.slice(0, 5_000)) {
      expect(clock.format(Date.parse(o.ordered_at))).toBe(o.ordered_at);
    }
    const offsets = new Set(orders.map((o) => o.ordered_at.slice(-6)));
    expect(offsets).toEqual(new Set(['-06:00', '-05:00']));
  });

  it('has about a quarter night buyers, who shop mostly between 19:00 and 03:00', () => {
    expect(share(customers, (c) => c.truth.nightBuyer)).toBeGreaterThan(0.22);
    expect(share(customers, (c) => c.truth.nightBuyer)).toBeLessThan(0.28);
    const regulars = customers.filter((c) => c.orders.length >= 5);
    const mostlyAtNight = (c: GeneratedCustomer) =>
      c.orders.filter((o) => isNightHour(localHour(o.ordered_at))).length > c.orders.length / 2;
    expect(share(regulars, mostlyAtNight)).toBeGreaterThan(0.18);
    expect(share(regulars, mostlyAtNight)).toBeLessThan(0.32);
    for (const [night, expected] of [
      [true, (h: number) => isNightHour(h)],
      [false, (h: number) => h >= 10 && h < 19],
    ] as const) {
      const theirs = customers.filter((c) => c.truth.nightBuyer === night).flatMap((c) => c.orders);
      expect(theirs.filter((o) => expected(localHour(o.ordered_at))).length / theirs.length).toBeGreaterThan(0.75);
    }
  });

  it('files every order under a category that maps to a family, mostly the customer’s primary one', () => {
    for (const o of orders) expect(categoryFamily(o.category), o.category).toBeDefined();
    const regulars = customers.filter((c) => c.orders.length >= 8);
    const mostlyPrimary = (c: GeneratedCustomer) =>
      c.orders.filter((o) => categoryFamily(o.category) === c.truth.primaryFamily).length >= c.orders.length * 0.4;
    expect(share(regulars, mostlyPrimary)).toBeGreaterThan(0.9);
    // …with some variety.
    expect(share(regulars, (c) => new Set(c.orders.map((o) => categoryFamily(o.category))).size > 1)).toBeGreaterThan(
      0.9,
    );
    const families = new Set(orders.map((o) => categoryFamily(o.category)));
    expect(families.size).toBe(12);
  });

  it('lets customers lapse by dropping out', () => {
    const lapsed = customers.filter((c) => !c.truth.aliveAtEnd);
    expect(lapsed.length / customers.length).toBeGreaterThan(0.25);
    expect(lapsed.length / customers.length).toBeLessThan(0.65);
    // A dropped-out customer's last order is the purchase after which they left.
    const quietSince = (c: GeneratedCustomer) => asOf.getTime() - Date.parse(c.orders.at(-1)!.ordered_at);
    const median = (xs: number[]) => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
    const active = customers.filter((c) => c.truth.aliveAtEnd);
    expect(median(lapsed.map(quietSince))).toBeGreaterThan(2 * median(active.map(quietSince)));
  });

  it('includes same-day repeat purchases beyond what the purchase process gives by chance', () => {
    // Coming back within hours for something forgotten; the process alone gives about 2%.
    const repeats = customers.flatMap((c) =>
      c.orders.slice(1).filter((o, i) => {
        const previous = c.orders[i]!;
        const sameDay = clock.date(Date.parse(o.ordered_at)) === clock.date(Date.parse(previous.ordered_at));
        return (
          Number(o.total) > 0 && sameDay && Date.parse(o.ordered_at) - Date.parse(previous.ordered_at) < 4 * 3_600_000
        );
      }),
    );
    expect(repeats.length / orders.length).toBeGreaterThan(0.03);
    expect(repeats.length / orders.length).toBeLessThan(0.08);
  });

  it('gives lower-case e-mail addresses at reserved domains, unique per customer', () => {
    const emails = customers.map((c) => c.customer.email).filter((e): e is string => e !== null);
    expect(emails.length / customers.length).toBeGreaterThan(0.85);
    expect(new Set(emails).size).toBe(emails.length);
    for (const e of emails) expect(e).toMatch(/^[a-z0-9._]+@example\.(com|net|org)$/);
  });

  it('gives E.164 phone numbers', () => {
    const phones = customers.map((c) => c.customer.phone).filter((p): p is string => p !== null);
    expect(phones.length / customers.length).toBeGreaterThan(0.6);
    for (const p of phones) expect(p).toMatch(/^\+1[2-9]\d{2}[2-9]\d{6}$/);
    expect(new Set(phones).size).toBe(phones.length);
  });

  it('has dates of birth mostly 21–80, a few under 21, and about 3% unknown and unverified', () => {
    const ages = customers
      .filter((c) => c.customer.date_of_birth)
      .map((c) => years(asOf.getTime() - Date.parse(c.customer.date_of_birth!)));
    const unknown = customers.filter((c) => c.customer.date_of_birth === null);
    expect(unknown.length / customers.length).toBeGreaterThan(0.02);
    expect(unknown.length / customers.length).toBeLessThan(0.045);
    expect(unknown.every((c) => !c.customer.age_verified)).toBe(true);
    const under21 = ages.filter((a) => a < 21).length / customers.length;
    expect(under21).toBeGreaterThan(0.008);
    expect(under21).toBeLessThan(0.025);
    expect(ages.filter((a) => a >= 21 && a <= 80).length / ages.length).toBeGreaterThan(0.95);
    expect(Math.min(...ages)).toBeGreaterThanOrEqual(18);
    const verified = share(customers, (c) => c.customer.age_verified);
    expect(verified).toBeGreaterThan(0.6);
    expect(verified).toBeLessThan(0.9);
  });

  it('records consents: ~75% e-mail and ~40% SMS opted in, a few opted out, only with an address', () => {
    const emailIn = share(customers, (c) => latestConsent(c, 'email') === 'opted_in');
    const smsIn = share(customers, (c) => latestConsent(c, 'sms') === 'opted_in');
    expect(emailIn).toBeGreaterThan(0.71);
    expect(emailIn).toBeLessThan(0.79);
    expect(smsIn).toBeGreaterThan(0.36);
    expect(smsIn).toBeLessThan(0.44);
    for (const channel of ['email', 'sms'] as const) {
      const out = share(customers, (c) => latestConsent(c, channel) === 'opted_out');
      expect(out).toBeGreaterThan(0.01);
      expect(out).toBeLessThan(0.06);
    }
    for (const c of customers) {
      if (!c.customer.email) expect(latestConsent(c, 'email')).toBeUndefined();
      if (!c.customer.phone) expect(latestConsent(c, 'sms')).toBeUndefined();
      for (const x of c.consents) {
        expect(x.customer_id).toBe(c.customer.id);
        expect(x.recorded_at).toMatch(isoWithOffset);
        expect(Date.parse(x.recorded_at)).toBeGreaterThanOrEqual(c.truth.firstPurchaseAt.getTime());
        expect(Date.parse(x.recorded_at)).toBeLessThan(asOf.getTime());
      }
    }
  });

  it('exposes the latent model values beside the rows, consistent with them', () => {
    for (const c of customers) {
      const t = c.truth;
      expect(t.externalId).toBe(c.customer.external_id);
      expect(t.purchaseRatePerWeek).toBeGreaterThan(0);
      expect(t.dropoutProbability).toBeGreaterThan(0);
      expect(t.dropoutProbability).toBeLessThan(1);
      expect(t.meanOrderValue).toBeCloseTo(5 / t.spendRate, 10);
      expect(t.modelOrderCount).toBeGreaterThanOrEqual(1);
      expect(t.modelOrderCount).toBeLessThanOrEqual(c.orders.length);
      // Dropout happens only after a repeat purchase.
      if (!t.aliveAtEnd) expect(t.modelOrderCount).toBeGreaterThanOrEqual(2);
    }
    const meanRate = customers.reduce((s, c) => s + c.truth.purchaseRatePerWeek, 0) / customers.length;
    expect(meanRate).toBeGreaterThan(0.2); // r / α = 0.24
    expect(meanRate).toBeLessThan(0.28);
  });

  it('rejects options it cannot honour', () => {
    expect(() => generateLiquorStore({ ...base, seed: 1.5 })).toThrow(/seed/);
    expect(() => generateLiquorStore({ ...base, customerCount: -1 })).toThrow(/customerCount/);
    expect(() => generateLiquorStore({ ...base, asOf: new Date('nope') })).toThrow(/asOf/);
    expect(() => generateLiquorStore({ ...base, start: asOf })).toThrow(/window/);
    expect(() => generateLiquorStore({ ...base, timeZone: 'Mars/Olympus_Mons' })).toThrow(RangeError);
    expect(() => generateLiquorStore({ ...base, purchaseModel: { r: 0 } })).toThrow(/r must be positive/);
  });

  it('honours another time zone and window', () => {
    const start = new Date('2026-01-01T00:00:00Z');
    const end = new Date('2026-03-01T00:00:00Z');
    const store = generateLiquorStore({ seed: 5, customerCount: 200, asOf: end, start, timeZone: 'UTC' });
    for (const c of store.customers()) {
      expect(c.customer.time_zone).toBe('UTC');
      for (const o of c.orders) {
        expect(o.ordered_at.endsWith('+00:00')).toBe(true);
        expect(Date.parse(o.ordered_at)).toBeGreaterThanOrEqual(start.getTime());
        expect(Date.parse(o.ordered_at)).toBeLessThan(end.getTime());
      }
    }
  });
});
