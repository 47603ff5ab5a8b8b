import { describe, expect, it } from 'vitest';
import { ScoringInputError } from './history.ts';
import { summariseOrders, type Order, type SummaryOptions } from './summary.ts';

const chicago: SummaryOptions = {
  asOf: new Date('2024-03-31T12:00:00-05:00'),
  timeZone: 'America/Chicago',
  unit: 'days',
};

const order = (at: string, total: number, category: string | null = null): Order => ({
  orderedAt: new Date(at),
  total,
  category,
});

describe('summariseOrders', () => {
  it('merges orders on the same local day into one purchase', () => {
    const summary = summariseOrders(
      [
        order('2024-01-05T10:00:00-06:00', 20),
        order('2024-01-05T18:00:00-06:00', 15),
        order('2024-01-12T11:00:00-06:00', 40),
        order('2024-01-12T11:05:00-06:00', 2.5),
      ],
      chicago,
    )!;
    expect(summary).toMatchObject({
      x: 1,
      tx: 7,
      orders: 4,
      paidRepeatPurchases: 1,
      meanRepeatSpend: 42.5,
      totalSpent: 77.5,
      averageOrderValue: 77.5 / 4,
      firstPurchaseOn: '2024-01-05',
      lastPurchaseOn: '2024-01-12',
    });
  });

  it('counts days in the store’s time zone, not in UTC', () => {
    // 23:30 and 00:30 Chicago time: one UTC day, two local days.
    const orders = [order('2024-03-01T05:30:00Z', 10), order('2024-03-01T06:30:00Z', 10)];
    expect(summariseOrders(orders, chicago)).toMatchObject({ x: 1, tx: 1, firstPurchaseOn: '2024-02-29' });
    expect(summariseOrders(orders, { ...chicago, timeZone: 'UTC' })).toMatchObject({ x: 0, tx: 0 });
  });

  it('measures t_x and T in whole days, divided by 7 for weeks', () => {
    const orders = [order('2024-01-01T12:00:00-06:00', 10), order('2024-01-15T09:00:00-06:00', 10)];
    // 2024-01-01 to 2024-03-31 is 90 days.
    expect(summariseOrders(orders, chicago)).toMatchObject({ x: 1, tx: 14, T: 90, daysSinceLastPurchase: 76 });
    expect(summariseOrders(orders, { ...chicago, unit: 'weeks' })).toMatchObject({
      unit: 'weeks',
      tx: 2,
      T: 90 / 7,
      daysSinceLastPurchase: 76,
    });
  });

  it('ignores orders after the as-of time', () => {
    const orders = [order('2024-03-01T12:00:00-06:00', 10), order('2024-03-31T18:00:00-05:00', 99)];
    expect(summariseOrders(orders, chicago)).toMatchObject({ x: 0, orders: 1, totalSpent: 10, T: 30 });
    expect(summariseOrders([order('2024-04-02T12:00:00-05:00', 5)], chicago)).toBeNull();
    expect(summariseOrders([], chicago)).toBeNull();
  });

  it('counts a zero-value order as a purchase but not as spend', () => {
    const summary = summariseOrders(
      [
        order('2024-01-01T12:00:00-06:00', 30),
        order('2024-01-08T12:00:00-06:00', 0),
        order('2024-01-15T12:00:00-06:00', 50),
      ],
      chicago,
    )!;
    expect(summary).toMatchObject({
      x: 2,
      tx: 14,
      paidRepeatPurchases: 1,
      meanRepeatSpend: 50,
      averageOrderValue: 80 / 3,
    });
    const onlyFree = summariseOrders(
      [order('2024-01-01T12:00:00-06:00', 30), order('2024-01-08T12:00:00-06:00', 0)],
      chicago,
    );
    expect(onlyFree).toMatchObject({ x: 1, paidRepeatPurchases: 0, meanRepeatSpend: 0 });
  });

  it('picks the category with the largest share of spend, then the most orders, then the name', () => {
    const byShare = [
      order('2024-01-01T12:00:00-06:00', 10, 'wine'),
      order('2024-01-02T12:00:00-06:00', 10, 'wine'),
      order('2024-01-03T12:00:00-06:00', 10, 'wine'),
      order('2024-01-04T12:00:00-06:00', 80, 'whiskey'),
      order('2024-01-05T12:00:00-06:00', 500, null),
    ];
    expect(summariseOrders(byShare, chicago)!.primaryCategory).toBe('whiskey');
    const tied = [
      order('2024-01-01T12:00:00-06:00', 20, 'vodka'),
      order('2024-01-02T12:00:00-06:00', 10, 'gin'),
      order('2024-01-03T12:00:00-06:00', 10, 'gin'),
    ];
    expect(summariseOrders(tied, chicago)!.primaryCategory).toBe('gin');
    const sameEverything = [
      order('2024-01-01T12:00:00-06:00', 10, 'rum'),
      order('2024-01-02T12:00:00-06:00', 10, 'gin'),
    ];
    expect(summariseOrders(sameEverything, chicago)!.primaryCategory).toBe('gin');
    expect(summariseOrders([order('2024-01-01T12:00:00-06:00', 10)], chicago)!.primaryCategory).toBeNull();
  });

  it('finds night buyers by local hour, across midnight and daylight saving time', () => {
    const newYork = { ...chicago, timeZone: 'America/New_York', asOf: new Date('2024-12-31T12:00:00Z') };
    const orders = [
      order('2024-01-10T21:00:00-05:00', 10), // winter, 21:00 local
      order('2024-07-10T03:00:00-04:00', 10), // summer, 03:00 local (07:00 UTC)
      order('2024-07-11T12:00:00-04:00', 10),
      order('2024-07-12T19:59:00-04:00', 10),
    ];
    expect(summariseOrders(orders, newYork)).toMatchObject({ nightOrderShare: 0.5, nightBuyer: true });
    expect(summariseOrders(orders, { ...newYork, nightBuyerShare: 0.6 })!.nightBuyer).toBe(false);
    // The same instants read in UTC: 02:00, 07:00, 16:00, 23:59.
    expect(summariseOrders(orders, { ...newYork, timeZone: 'UTC' })!.nightOrderShare).toBe(0.5);
    const morning = { ...newYork, nightWindow: { fromHour: 0, toHour: 6 } };
    expect(summariseOrders(orders, morning)!.nightOrderShare).toBe(0.25);
  });

  it('expects the next purchase one average gap after the last, and none after a single purchase', () => {
    const regular = [
      order('2024-01-01T12:00:00-06:00', 10),
      order('2024-01-11T12:00:00-06:00', 10),
      order('2024-01-21T12:00:00-06:00', 10),
    ];
    expect(summariseOrders(regular, chicago)!.nextPurchaseExpectedOn).toBe('2024-01-31');
    expect(summariseOrders([order('2024-01-01T12:00:00-06:00', 10)], chicago)!.nextPurchaseExpectedOn).toBeNull();
  });

  it('rejects orders and options it cannot mean anything for', () => {
    const ok = order('2024-01-01T12:00:00-06:00', 10);
    const bad: [Order[], Partial<SummaryOptions>][] = [
      [[ok, order('2024-01-02T12:00:00-06:00', -5)], {}],
      [[ok, order('2024-01-02T12:00:00-06:00', NaN)], {}],
      [[ok, { orderedAt: new Date('not a date'), total: 5 }], {}],
      [[ok], { timeZone: 'Mars/Olympus_Mons' }],
      [[ok], { asOf: new Date(NaN) }],
      [[ok], { nightWindow: { fromHour: 22, toHour: 24 } }],
      [[ok], { nightWindow: { fromHour: 5, toHour: 5 } }],
      [[ok], { nightBuyerShare: 0 }],
    ];
    for (const [orders, options] of bad) {
      expect(() => summariseOrders(orders, { ...chicago, ...options })).toThrow(ScoringInputError);
    }
  });
});
