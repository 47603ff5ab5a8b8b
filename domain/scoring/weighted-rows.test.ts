import { describe, expect, it } from 'vitest';
import { ScoringInputError } from './history.ts';
import {
  compressHistories,
  compressSpend,
  historyColumns,
  uncompressedHistories,
  uncompressedSpend,
  type WeightedHistories,
} from './weighted-rows.ts';

function rowsOf(data: WeightedHistories) {
  return Array.from({ length: data.rows }, (_, row) => ({
    x: data.xValues[data.xIndex[row]!],
    tx: data.times[data.txIndex[row]!],
    T: data.times[data.TIndex[row]!],
    weight: data.weight[row],
  }));
}

describe('compressHistories', () => {
  it('merges customers whose histories match on the grid and keeps every customer as weight', () => {
    const columns = historyColumns([
      { x: 0, tx: 0, T: 10.2 },
      { x: 0, tx: 0, T: 9.8 },
      { x: 2, tx: 5.4, T: 10 },
      { x: 2, tx: 4.6, T: 10.4 },
      { x: 2, tx: 6, T: 10 },
      { x: 0, tx: 0, T: 3 },
    ]);
    const data = compressHistories(columns, 1);
    expect(data.customers).toBe(6);
    expect(rowsOf(data)).toEqual([
      { x: 0, tx: 0, T: 3, weight: 1 },
      { x: 0, tx: 0, T: 10, weight: 2 },
      { x: 2, tx: 5, T: 10, weight: 2 },
      { x: 2, tx: 6, T: 10, weight: 1 },
    ]);
    expect(Array.from(data.xWeight)).toEqual([3, 3]);
  });

  it('works on a sub-day grid in weeks', () => {
    const data = compressHistories({ x: [1, 1], tx: [30.43, 30.43], T: [38.86, 38.86] }, 0.01);
    expect(rowsOf(data)).toEqual([{ x: 1, tx: expect.closeTo(30.43, 10), T: expect.closeTo(38.86, 10), weight: 2 }]);
  });

  it('never moves t_x past T', () => {
    const data = compressHistories({ x: [1], tx: [9.6], T: [9.7] }, 1);
    expect(rowsOf(data)).toEqual([{ x: 1, tx: 10, T: 10, weight: 1 }]);
  });

  it('rejects a resolution that is not a positive number or too fine to hold as a grid', () => {
    const columns = { x: [1], tx: [1], T: [2] };
    for (const resolution of [0, -1, NaN, Infinity]) {
      expect(() => compressHistories(columns, resolution)).toThrow(ScoringInputError);
    }
    expect(() => compressHistories({ x: [0], tx: [0], T: [1e6] }, 0.001)).toThrow(/coarser/);
  });

  it('rejects columns of different lengths', () => {
    expect(() => compressHistories({ x: [1, 2], tx: [1], T: [2, 3] }, 1)).toThrow(/one entry per customer/);
  });
});

describe('uncompressedHistories', () => {
  it('keeps one row per customer with its exact times', () => {
    const data = uncompressedHistories({ x: [0, 0, 3], tx: [0, 0, 2.25], T: [10.2, 10.2, 7.5] });
    expect(rowsOf(data)).toEqual([
      { x: 0, tx: 0, T: 10.2, weight: 1 },
      { x: 0, tx: 0, T: 10.2, weight: 1 },
      { x: 3, tx: 2.25, T: 7.5, weight: 1 },
    ]);
  });
});

describe('compressSpend', () => {
  it('keeps repeat buyers with paid repeats, merged on cents', () => {
    const data = compressSpend({ x: [0, 2, 2, 2, 1, 3], m: [0, 20.004, 19.996, 25, 12.5, 0] });
    expect(data.customers).toBe(4);
    expect(data.skipped).toBe(2);
    const rows = Array.from({ length: data.rows }, (_, row) => ({
      x: data.xValues[data.xIndex[row]!],
      m: data.m[row],
      weight: data.weight[row],
    }));
    expect(rows).toEqual([
      { x: 1, m: expect.closeTo(12.5, 10), weight: 1 },
      { x: 2, m: expect.closeTo(20, 10), weight: 2 },
      { x: 2, m: expect.closeTo(25, 10), weight: 1 },
    ]);
  });

  it('keeps a tiny positive mean positive on the cent grid', () => {
    expect(compressSpend({ x: [3], m: [0.004] }).m[0]).toBeCloseTo(0.01, 12);
  });

  it('leaves a customer out whose repeat orders were all free: a gamma spend cannot be 0', () => {
    expect(uncompressedSpend({ x: [2, 1], m: [0, 10] })).toMatchObject({ customers: 1, skipped: 1, rows: 1 });
  });

  it('rejects negative or missing amounts and counts', () => {
    expect(() => compressSpend({ x: [1], m: [-5] })).toThrow(ScoringInputError);
    expect(() => compressSpend({ x: [1], m: [NaN] })).toThrow(ScoringInputError);
    expect(() => compressSpend({ x: [-1], m: [5] })).toThrow(ScoringInputError);
    expect(() => compressSpend({ x: [1, 2], m: [5] })).toThrow(ScoringInputError);
  });
});
