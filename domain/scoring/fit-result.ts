/**
 * What a model fit hands back. A fit that fails — no repeat buyers, a parameter running off to
 * infinity, no convergence — is a result, not an exception: the nightly refit logs the reason and
 * keeps scoring with the parameters it had.
 */
export type FitResult<Params> =
  | {
      converged: true;
      params: Params;
      logLikelihood: number;
      iterations: number;
      /** Customers the fit used, and the weighted rows they were compressed into. */
      customers: number;
      rows: number;
    }
  | { converged: false; reason: string; iterations: number; customers: number; rows: number };

export interface FitOptions<Params> {
  /** Where the search starts, e.g. the previous fit's parameters. */
  start?: Params;
  maxIterations?: number;
}

/** The parameters to score with after a refit: the new ones only if the fit converged. */
export function acceptFit<Params>(fit: FitResult<Params>, previous: Params | null): Params | null {
  return fit.converged ? fit.params : previous;
}
