/**
 * The likelihoods depend on a customer only through (x, t_x, T) — or (x, m_x) for spend — so a
 * customer base collapses into far fewer weighted rows once times are put on a grid (one day by
 * default) and amounts on cents. A million customers' fit then costs what their distinct
 * histories cost. Times and x are stored once per distinct value, so per-evaluation logarithms
 * and log-gammas are computed per value, not per row.
 */
import { checkHistory, ScoringInputError, type PurchaseHistory } from './history.ts';

export interface HistoryColumns {
  x: ArrayLike<number>;
  tx: ArrayLike<number>;
  T: ArrayLike<number>;
}

export interface WeightedHistories {
  /** Customers represented (the sum of the weights). */
  customers: number;
  rows: number;
  /** Distinct x values; rows point into it with xIndex. */
  xValues: Float64Array;
  xIndex: Int32Array;
  /** Sum of the weights of the rows with each distinct x. */
  xWeight: Float64Array;
  /** Time values; rows point into it with txIndex and TIndex. */
  times: Float64Array;
  txIndex: Int32Array;
  TIndex: Int32Array;
  weight: Float64Array;
}

export function historyColumns(histories: readonly PurchaseHistory[]): HistoryColumns {
  return {
    x: histories.map((h) => h.x),
    tx: histories.map((h) => h.tx),
    T: histories.map((h) => h.T),
  };
}

// Beyond this a grid of time steps costs more memory than it saves.
const MAX_TIME_STEPS = 2 ** 20;

/**
 * Rounds t_x and T to multiples of `resolution` (model time units; `ONE_DAY[unit]` keeps a
 * one-day grid) and merges identical (x, t_x, T) into one weighted row.
 */
export function compressHistories(columns: HistoryColumns, resolution: number): WeightedHistories {
  if (!(resolution > 0 && Number.isFinite(resolution))) {
    throw new ScoringInputError(`the time resolution must be a positive number, got ${resolution}`);
  }
  const n = checkColumns(columns);
  const { values: xValues, index: xOf } = distinctWholeNumbers(columns.x);
  let maxStep = 0;
  for (let i = 0; i < n; i++) maxStep = Math.max(maxStep, Math.round(columns.T[i]! / resolution));
  const steps = maxStep + 1;
  if (steps > MAX_TIME_STEPS) {
    throw new ScoringInputError(`a resolution of ${resolution} gives ${steps} time steps; use a coarser one`);
  }
  if (xValues.length * steps * steps > Number.MAX_SAFE_INTEGER) {
    throw new ScoringInputError('too many distinct purchase counts and time steps to compress');
  }

  // A numeric key per customer, sorted, turns grouping into run-length counting.
  const keys = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const tStep = Math.round(columns.T[i]! / resolution);
    const txStep = Math.round(columns.tx[i]! / resolution);
    keys[i] = (xOf.get(columns.x[i]!)! * steps + tStep) * steps + txStep;
  }
  keys.sort();

  let rows = 0;
  for (let i = 0; i < n; i++) if (i === 0 || keys[i] !== keys[i - 1]) rows++;
  const out = allocateHistories(rows, xValues, new Float64Array(steps));
  for (let k = 0; k < steps; k++) out.times[k] = k * resolution;
  let row = -1;
  for (let i = 0; i < n; i++) {
    const key = keys[i]!;
    if (i === 0 || key !== keys[i - 1]) {
      row++;
      const txStep = key % steps;
      const rest = (key - txStep) / steps;
      const tStep = rest % steps;
      out.txIndex[row] = txStep;
      out.TIndex[row] = tStep;
      out.xIndex[row] = (rest - tStep) / steps;
    }
    out.weight[row]!++;
  }
  return finish(out, n);
}

/** One row per customer with its exact times: the baseline that compression is measured against. */
export function uncompressedHistories(columns: HistoryColumns): WeightedHistories {
  const n = checkColumns(columns);
  const { values: xValues, index: xOf } = distinctWholeNumbers(columns.x);
  const out = allocateHistories(n, xValues, new Float64Array(2 * n));
  for (let i = 0; i < n; i++) {
    out.times[2 * i] = columns.tx[i]!;
    out.times[2 * i + 1] = columns.T[i]!;
    out.txIndex[i] = 2 * i;
    out.TIndex[i] = 2 * i + 1;
    out.xIndex[i] = xOf.get(columns.x[i]!)!;
    out.weight[i] = 1;
  }
  return finish(out, n);
}

function checkColumns(columns: HistoryColumns): number {
  const n = columns.x.length;
  if (columns.tx.length !== n || columns.T.length !== n) {
    throw new ScoringInputError('x, t_x and T must have one entry per customer');
  }
  for (let i = 0; i < n; i++) {
    checkHistory({ x: columns.x[i]!, tx: columns.tx[i]!, T: columns.T[i]! }, `customer ${i}`);
  }
  return n;
}

function distinctWholeNumbers(column: ArrayLike<number>): { values: Float64Array; index: Map<number, number> } {
  const seen = new Set<number>();
  for (let i = 0; i < column.length; i++) seen.add(column[i]!);
  const values = Float64Array.from(seen).sort();
  return { values, index: new Map(Array.from(values, (v, i) => [v, i])) };
}

function allocateHistories(rows: number, xValues: Float64Array, times: Float64Array): WeightedHistories {
  return {
    customers: 0,
    rows,
    xValues,
    xIndex: new Int32Array(rows),
    xWeight: new Float64Array(xValues.length),
    times,
    txIndex: new Int32Array(rows),
    TIndex: new Int32Array(rows),
    weight: new Float64Array(rows),
  };
}

function finish(out: WeightedHistories, customers: number): WeightedHistories {
  for (let row = 0; row < out.rows; row++) out.xWeight[out.xIndex[row]!]! += out.weight[row]!;
  out.customers = customers;
  return out;
}

/** Repeat buyers' spend as Gamma-Gamma sees it: x paid repeat purchases with mean value m. */
export interface SpendColumns {
  x: ArrayLike<number>;
  m: ArrayLike<number>;
}

export interface WeightedSpend {
  /** Repeat buyers represented (the sum of the weights). */
  customers: number;
  /**
   * Customers left out: no paid repeat purchase, or a mean of 0 (only zero-value repeat orders,
   * which the summaries never count as paid; a gamma-distributed spend cannot be 0).
   */
  skipped: number;
  rows: number;
  xValues: Float64Array;
  xIndex: Int32Array;
  m: Float64Array;
  weight: Float64Array;
}

/** Rounds m to multiples of `resolution` (cents by default) and merges identical (x, m). */
export function compressSpend(columns: SpendColumns, resolution = 0.01): WeightedSpend {
  if (!(resolution > 0 && Number.isFinite(resolution))) {
    throw new ScoringInputError(`the spend resolution must be a positive number, got ${resolution}`);
  }
  const { repeatBuyers, xValues, xOf } = checkSpend(columns);
  const keys = new Float64Array(repeatBuyers.length);
  repeatBuyers.forEach((i, k) => {
    // A positive mean stays positive: the spend likelihood has log m in it.
    const steps = Math.max(1, Math.round(columns.m[i]! / resolution));
    keys[k] = steps * xValues.length + xOf.get(columns.x[i]!)!;
    if (keys[k]! > Number.MAX_SAFE_INTEGER) {
      throw new ScoringInputError(`mean spend ${columns.m[i]} is too large for a resolution of ${resolution}`);
    }
  });
  keys.sort();
  let rows = 0;
  for (let i = 0; i < keys.length; i++) if (i === 0 || keys[i] !== keys[i - 1]) rows++;
  const out = allocateSpend(rows, xValues, columns.x.length - repeatBuyers.length);
  let row = -1;
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i]!;
    if (i === 0 || key !== keys[i - 1]) {
      row++;
      const xi = key % xValues.length;
      out.xIndex[row] = xi;
      out.m[row] = ((key - xi) / xValues.length) * resolution;
    }
    out.weight[row]!++;
  }
  out.customers = repeatBuyers.length;
  return out;
}

export function uncompressedSpend(columns: SpendColumns): WeightedSpend {
  const { repeatBuyers, xValues, xOf } = checkSpend(columns);
  const out = allocateSpend(repeatBuyers.length, xValues, columns.x.length - repeatBuyers.length);
  repeatBuyers.forEach((i, row) => {
    out.xIndex[row] = xOf.get(columns.x[i]!)!;
    out.m[row] = columns.m[i]!;
    out.weight[row] = 1;
  });
  out.customers = repeatBuyers.length;
  return out;
}

function checkSpend(columns: SpendColumns): {
  repeatBuyers: number[];
  xValues: Float64Array;
  xOf: Map<number, number>;
} {
  const n = columns.x.length;
  if (columns.m.length !== n) throw new ScoringInputError('x and m must have one entry per customer');
  const repeatBuyers: number[] = [];
  for (let i = 0; i < n; i++) {
    const x = columns.x[i]!;
    const m = columns.m[i]!;
    if (!(Number.isInteger(x) && x >= 0)) {
      throw new ScoringInputError(`x must be a non-negative whole number of purchases, got ${x} (customer ${i})`);
    }
    if (!(Number.isFinite(m) && m >= 0)) {
      throw new ScoringInputError(`mean spend must be a non-negative amount, got ${m} (customer ${i})`);
    }
    if (x > 0 && m > 0) repeatBuyers.push(i);
  }
  const { values: xValues, index: xOf } = distinctWholeNumbers(repeatBuyers.map((i) => columns.x[i]!));
  return { repeatBuyers, xValues, xOf };
}

function allocateSpend(rows: number, xValues: Float64Array, skipped: number): WeightedSpend {
  return {
    customers: 0,
    skipped,
    rows,
    xValues,
    xIndex: new Int32Array(rows),
    m: new Float64Array(rows),
    weight: new Float64Array(rows),
  };
}
