/**
 * Quasi-Newton (BFGS) minimisation with analytic gradients, for the few-parameter likelihoods of
 * the customer models. The models are fitted on log-parameters, so the search is unconstrained;
 * a parameter that runs off to ±∞ is reported as divergence rather than silently returned.
 */

/** Writes ∇f(θ) into `gradient` and returns f(θ); non-finite values mean "outside the domain". */
export type Objective = (theta: Float64Array, gradient: Float64Array) => number;

export interface MinimiseOptions {
  /** Stop when every gradient component is below this. */
  gradientTolerance?: number;
  maxIterations?: number;
  /** Largest move of any coordinate in one step; in log-parameters, 3 is a factor of 20. */
  maxStep?: number;
  /**
   * A coordinate beyond ±this has diverged. In log-parameters e^±15 is 3·10⁶ and 3·10⁻⁷: a model
   * parameter out there means the data cannot pin it down (the likelihood flattens towards a
   * boundary), even if the gradient looks small.
   */
  divergenceBound?: number;
  /** Coordinate names for messages. */
  names?: readonly string[];
}

export type MinimiseResult =
  | { converged: true; theta: Float64Array; value: number; iterations: number; evaluations: number }
  | {
      converged: false;
      reason: string;
      theta: Float64Array;
      value: number;
      iterations: number;
      evaluations: number;
    };

/**
 * Neumaier's compensated sum. A log-likelihood over a million rows is a running total in the
 * millions built from terms that mostly cancel; plain summation then blurs the mean at ~1e-12,
 * coarser than the decreases the last steps of a fit look for.
 */
export class CompensatedSum {
  #sum = 0;
  #compensation = 0;

  add(term: number): void {
    const next = this.#sum + term;
    this.#compensation += Math.abs(this.#sum) >= Math.abs(term) ? this.#sum - next + term : term - next + this.#sum;
    this.#sum = next;
  }

  get value(): number {
    return this.#sum + this.#compensation;
  }
}

const ARMIJO = 1e-4;
const MAX_BACKTRACKS = 60;
const EPSILON = 2.220446049250313e-16;

export function minimise(
  objective: Objective,
  start: readonly number[],
  options: MinimiseOptions = {},
): MinimiseResult {
  const gradientTolerance = options.gradientTolerance ?? 1e-9;
  const maxIterations = options.maxIterations ?? 500;
  const maxStep = options.maxStep ?? 3;
  const divergenceBound = options.divergenceBound ?? 15;
  const n = start.length;

  let theta = Float64Array.from(start);
  let gradient = new Float64Array(n);
  let evaluations = 1;
  let value = objective(theta, gradient);
  let iterations = 0;
  const stop = (reason?: string): MinimiseResult =>
    reason === undefined
      ? { converged: true, theta, value, iterations, evaluations }
      : { converged: false, reason, theta, value, iterations, evaluations };

  if (!Number.isFinite(value) || !gradient.every(Number.isFinite)) {
    return stop('the objective is not finite at the starting point');
  }

  // Inverse-Hessian approximation, row-major; scaled after the first step.
  const inverse = identity(n);
  let firstStep = true;
  const direction = new Float64Array(n);
  const nextTheta = new Float64Array(n);
  let nextGradient = new Float64Array(n);

  for (; iterations < maxIterations; iterations++) {
    if (maxAbs(gradient) < gradientTolerance) return stop();

    multiply(inverse, gradient, direction, -1);
    let slope = dot(gradient, direction);
    if (!(slope < 0)) {
      // The approximation lost positive definiteness: restart from steepest descent.
      resetToIdentity(inverse);
      for (let i = 0; i < n; i++) direction[i] = -gradient[i]!;
      slope = dot(gradient, direction);
    }
    // Near the optimum of a flat, correlated likelihood the gradient can stall above the
    // tolerance while the predicted decrease, −slope/2, is below what f can resolve: f cannot
    // tell the remaining step from rounding, so the point is as optimal as it can be made.
    if (!firstStep && maxAbs(gradient) < Math.sqrt(gradientTolerance) && -slope < 16 * EPSILON * Math.abs(value)) {
      return stop();
    }
    const longest = maxAbs(direction);
    let step = longest > maxStep ? maxStep / longest : 1;

    let accepted = false;
    let nextValue = NaN;
    for (let backtrack = 0; backtrack < MAX_BACKTRACKS; backtrack++) {
      for (let i = 0; i < n; i++) nextTheta[i] = theta[i]! + step * direction[i]!;
      nextValue = objective(nextTheta, nextGradient);
      evaluations++;
      if (Number.isFinite(nextValue) && nextGradient.every(Number.isFinite)) {
        if (nextValue <= value + ARMIJO * step * slope) {
          accepted = true;
          break;
        }
        // At the optimum the decrease falls below the resolution of f; a smaller gradient is progress.
        if (Math.abs(nextValue - value) <= 8 * EPSILON * Math.abs(value) && maxAbs(nextGradient) < maxAbs(gradient)) {
          accepted = true;
          break;
        }
      }
      step /= 2;
    }
    if (!accepted) {
      if (maxAbs(gradient) < Math.sqrt(gradientTolerance)) return stop();
      return stop(`the line search found no better point after ${iterations} iterations`);
    }

    const s = new Float64Array(n);
    const y = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      s[i] = nextTheta[i]! - theta[i]!;
      y[i] = nextGradient[i]! - gradient[i]!;
    }
    theta = Float64Array.from(nextTheta);
    [gradient, nextGradient] = [nextGradient, gradient];
    value = nextValue;

    const diverged = theta.findIndex((t) => Math.abs(t) > divergenceBound);
    if (diverged >= 0) {
      iterations++;
      const name = options.names?.[diverged] ?? `coordinate ${diverged}`;
      return stop(`${name} diverged to ${theta[diverged]!.toPrecision(4)}`);
    }

    const sy = dot(s, y);
    if (sy > 1e-12 * Math.sqrt(dot(s, s) * dot(y, y))) {
      if (firstStep) {
        scale(inverse, sy / dot(y, y));
        firstStep = false;
      }
      updateInverse(inverse, s, y, sy);
    }
  }
  return maxAbs(gradient) < gradientTolerance ? stop() : stop(`no convergence in ${maxIterations} iterations`);
}

function identity(n: number): Float64Array[] {
  return Array.from({ length: n }, (_, i) => {
    const row = new Float64Array(n);
    row[i] = 1;
    return row;
  });
}

function resetToIdentity(matrix: Float64Array[]): void {
  matrix.forEach((row, i) => {
    row.fill(0);
    row[i] = 1;
  });
}

function scale(matrix: Float64Array[], factor: number): void {
  for (const row of matrix) for (let j = 0; j < row.length; j++) row[j]! *= factor;
}

function multiply(matrix: Float64Array[], vector: Float64Array, out: Float64Array, sign: number): void {
  matrix.forEach((row, i) => {
    out[i] = sign * dot(row, vector);
  });
}

function dot(u: Float64Array, v: Float64Array): number {
  let sum = 0;
  for (let i = 0; i < u.length; i++) sum += u[i]! * v[i]!;
  return sum;
}

function maxAbs(v: Float64Array): number {
  let max = 0;
  for (const x of v) max = Math.max(max, Math.abs(x));
  return max;
}

/** H ← (I − ρ s yᵀ) H (I − ρ y sᵀ) + ρ s sᵀ with ρ = 1 / (yᵀs). */
function updateInverse(inverse: Float64Array[], s: Float64Array, y: Float64Array, sy: number): void {
  const n = s.length;
  const rho = 1 / sy;
  const hy = new Float64Array(n);
  multiply(inverse, y, hy, 1);
  const yhy = dot(y, hy);
  for (let i = 0; i < n; i++) {
    const row = inverse[i]!;
    for (let j = 0; j < n; j++) {
      row[j] = row[j]! - rho * (hy[i]! * s[j]! + s[i]! * hy[j]!) + (rho * rho * yhy + rho) * s[i]! * s[j]!;
    }
  }
}
