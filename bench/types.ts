import type { Db } from '../platform/db.ts';
import type { Logger } from '../platform/logger.ts';

/**
 * The benchmark convention: `bench/<name>.bench.ts` default-exports a `Benchmark`;
 * `npm run bench -- <name> [args…]` runs it and prints its figures as JSON. Every benchmark
 * measures a baseline in the same run, because the machines are noisy.
 */
export interface BenchContext {
  /** A migrated database: DATABASE_URL's, or a throw-away embedded PostgreSQL. Started lazily. */
  db(): Promise<Db>;
  log: Logger;
  /** Arguments after the benchmark's name. */
  args: string[];
}

export type Figures = Record<string, unknown>;

export type Benchmark = (ctx: BenchContext) => Promise<Figures>;

/** A `--name` argument that must be a whole number of at least `min`; `fallback` when it is absent. */
export function wholeArg(name: string, value: string | undefined, fallback: number, min = 1): number {
  const n = value === undefined ? fallback : Number(value);
  if (!Number.isSafeInteger(n) || n < min) throw new RangeError(`--${name} must be a whole number ≥ ${min}`);
  return n;
}
