import { describe, expect, it } from 'vitest';
import { minimise, type Objective } from './optimize.ts';

const rosenbrock: Objective = (theta, gradient) => {
  const [x, y] = [theta[0]!, theta[1]!];
  gradient[0] = -2 * (1 - x) - 400 * x * (y - x * x);
  gradient[1] = 200 * (y - x * x);
  return (1 - x) ** 2 + 100 * (y - x * x) ** 2;
};

describe('minimise', () => {
  it('finds the minimum of the Rosenbrock valley from the usual hard start', () => {
    const result = minimise(rosenbrock, [-1.2, 1]);
    expect(result.converged).toBe(true);
    expect(result.theta[0]).toBeCloseTo(1, 6);
    expect(result.theta[1]).toBeCloseTo(1, 6);
  });

  it('solves a badly scaled quadratic to the gradient tolerance', () => {
    const scales = [1e-3, 1, 1e3];
    const quadratic: Objective = (theta, gradient) => {
      let value = 0;
      scales.forEach((s, i) => {
        value += 0.5 * s * (theta[i]! - i) ** 2;
        gradient[i] = s * (theta[i]! - i);
      });
      return value;
    };
    const result = minimise(quadratic, [5, 5, 5], { gradientTolerance: 1e-12 });
    expect(result.converged).toBe(true);
    expect(Array.from(result.theta)).toEqual([expect.closeTo(0, 8), expect.closeTo(1, 8), expect.closeTo(2, 8)]);
  });

  it('reports a coordinate that runs off to infinity by name instead of returning it', () => {
    const unbounded: Objective = (theta, gradient) => {
      gradient[0] = -1 / (1 + Math.exp(theta[0]!));
      return Math.log1p(Math.exp(-theta[0]!));
    };
    const result = minimise(unbounded, [0], { names: ['log q'] });
    expect(result.converged).toBe(false);
    if (!result.converged) expect(result.reason).toMatch(/log q diverged/);
  });

  it('says so when the objective is not finite at the start', () => {
    const result = minimise((_theta, gradient) => ((gradient[0] = 0), NaN), [1]);
    expect(result).toMatchObject({ converged: false, reason: expect.stringMatching(/not finite/) });
  });

  it('stops at the iteration limit without claiming convergence', () => {
    const result = minimise(rosenbrock, [-1.2, 1], { maxIterations: 3 });
    expect(result).toMatchObject({ converged: false, iterations: 3, reason: 'no convergence in 3 iterations' });
  });
});
