import { describe, expect, it } from 'vitest';
import { ScoringInputError } from './history.ts';
import {
  quintileScores,
  RFM_SEGMENT_GRID,
  RFM_SEGMENT_LABELS,
  RFM_SEGMENTS,
  rfmSegment,
  scoreRfm,
  scoreRfmColumns,
} from './rfm.ts';

describe('RFM segments', () => {
  it('give every recency × frequency pair exactly one of the ten segments, and use all ten', () => {
    const used = new Set<string>();
    for (let r = 1; r <= 5; r++) {
      for (let f = 1; f <= 5; f++) used.add(rfmSegment(r, f));
    }
    expect(RFM_SEGMENT_GRID.flat()).toHaveLength(25);
    expect([...used].sort()).toEqual(RFM_SEGMENTS.map((s) => s.key).sort());
  });

  it('have snake_case keys and the product’s labels', () => {
    for (const { key } of RFM_SEGMENTS) expect(key).toMatch(/^[a-z]+(_[a-z]+)*$/);
    expect(Object.values(RFM_SEGMENT_LABELS)).toEqual([
      'Champions',
      'Loyal',
      'Potential Loyalists',
      'New Customers',
      'Promising',
      'Need Attention',
      'About To Sleep',
      'At Risk',
      "Can't Lose",
      'Hibernating',
    ]);
  });

  it('name the classic corners of the grid', () => {
    expect(rfmSegment(5, 5)).toBe('champions');
    expect(rfmSegment(5, 1)).toBe('new_customers');
    expect(rfmSegment(4, 1)).toBe('promising');
    expect(rfmSegment(3, 3)).toBe('need_attention');
    expect(rfmSegment(1, 5)).toBe('cant_lose');
    expect(rfmSegment(2, 3)).toBe('at_risk');
    expect(rfmSegment(1, 1)).toBe('hibernating');
  });

  it('reject scores outside 1–5', () => {
    for (const [r, f] of [
      [0, 3],
      [3, 6],
      [2.5, 3],
    ] as const)
      expect(() => rfmSegment(r, f)).toThrow(ScoringInputError);
  });
});

describe('quintile scores', () => {
  it('split distinct values into five equal groups', () => {
    const scores = quintileScores(
      Array.from({ length: 100 }, (_, i) => 100 - i),
      'higher_is_better',
    );
    const counts = [1, 2, 3, 4, 5].map((s) => scores.filter((v) => v === s).length);
    expect(counts).toEqual([20, 20, 20, 20, 20]);
    expect(scores[0]).toBe(5);
    expect(scores[99]).toBe(1);
  });

  it('give tied customers the same score and one-time buyers F = 1, however many they are', () => {
    // 60% one-time buyers, 15% two-time, then a tail.
    const purchases = [...Array(60).fill(1), ...Array(15).fill(2), ...Array(10).fill(3), ...Array(15).fill(7)];
    const scores = quintileScores(purchases, 'higher_is_better');
    const scoreOf = (p: number) => new Set(purchases.flatMap((v, i) => (v === p ? [scores[i]] : [])));
    expect(scoreOf(1)).toEqual(new Set([1]));
    expect(scoreOf(2)).toEqual(new Set([4]));
    expect(scoreOf(3)).toEqual(new Set([4]));
    expect(scoreOf(7)).toEqual(new Set([5]));
  });

  it('score the most recent buyers highest for recency', () => {
    expect(Array.from(quintileScores([0, 400, 30, 90, 200], 'lower_is_better'))).toEqual([5, 1, 4, 3, 2]);
  });

  it('follow the definition 1 + ⌊5 · share strictly worse⌋ on data full of ties', () => {
    let seed = 7;
    const next = () => (seed = (seed * 48271) % 2147483647) / 2147483647;
    for (const n of [1, 2, 7, 50, 333]) {
      const values = Array.from({ length: n }, () => Math.floor(next() ** 3 * 6));
      for (const direction of ['higher_is_better', 'lower_is_better'] as const) {
        const worse = (v: number) => values.filter((w) => (direction === 'higher_is_better' ? w < v : w > v)).length;
        const definition = values.map((v) => 1 + Math.floor((5 * worse(v)) / n));
        expect(Array.from(quintileScores(values, direction))).toEqual(definition);
      }
    }
  });

  it('give everybody 1 when nobody differs', () => {
    expect(Array.from(quintileScores([3, 3, 3], 'higher_is_better'))).toEqual([1, 1, 1]);
  });
});

describe('scoreRfm', () => {
  it('segments customers by when and how often they bought', () => {
    const customers = [
      { daysSinceLastPurchase: 2, purchases: 1, totalSpent: 30 }, // bought once, just now
      { daysSinceLastPurchase: 3, purchases: 12, totalSpent: 900 },
      { daysSinceLastPurchase: 400, purchases: 14, totalSpent: 1200 },
      { daysSinceLastPurchase: 380, purchases: 1, totalSpent: 20 },
      { daysSinceLastPurchase: 100, purchases: 3, totalSpent: 150 },
    ];
    expect(scoreRfm(customers)).toEqual([
      { recency: 5, frequency: 1, monetary: 2, segment: 'new_customers' },
      { recency: 4, frequency: 4, monetary: 4, segment: 'loyal' },
      { recency: 1, frequency: 5, monetary: 5, segment: 'cant_lose' },
      { recency: 2, frequency: 1, monetary: 1, segment: 'hibernating' },
      { recency: 3, frequency: 3, monetary: 3, segment: 'need_attention' },
    ]);
  });

  // Speed is measured by `npm run bench -- scoring-fit`; this pins behaviour at that scale.
  it('scores a million customers, one-time buyers all at F = 1', () => {
    const n = 1_000_000;
    let seed = 1;
    const next = () => (seed = (seed * 48271) % 2147483647) / 2147483647;
    const columns = {
      daysSinceLastPurchase: Float64Array.from({ length: n }, () => Math.floor(next() * 730)),
      purchases: Float64Array.from({ length: n }, () => 1 + Math.floor(-Math.log(next()) * 1.5)),
      totalSpent: Float64Array.from({ length: n }, () => Math.round(next() * 50000) / 100),
    };
    const scores = scoreRfmColumns(columns);
    expect(scores.segment).toHaveLength(n);
    expect(scores.frequency.every((f, i) => columns.purchases[i] !== 1 || f === 1)).toBe(true);
  });

  it('rejects customers without purchases and negative values', () => {
    const valid = { daysSinceLastPurchase: 1, purchases: 1, totalSpent: 10 };
    for (const bad of [
      { purchases: 0 },
      { purchases: 1.5 },
      { daysSinceLastPurchase: -1 },
      { totalSpent: -5 },
      { totalSpent: NaN },
    ]) {
      expect(() => scoreRfm([valid, { ...valid, ...bad }])).toThrow(ScoringInputError);
    }
  });
});
