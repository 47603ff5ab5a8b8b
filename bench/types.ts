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
